package human

import (
	"os"
	"time"

	"github.com/jedib0t/go-pretty/v6/progress"
)

// Bar is a progress bar on stderr. Where stderr is not a terminal (a log
// file, CI) it draws nothing: a redrawn bar would flood the log with one
// line per update.
type Bar struct {
	w  progress.Writer
	tr *progress.Tracker
}

// Units say how a Bar prints its counts.
var (
	UnitsBytes = progress.UnitsBytes
	UnitsCount = progress.UnitsDefault
)

// NewBar starts a bar for total units (it may be 0 and set later).
func NewBar(msg string, total int64, units progress.Units) *Bar {
	if st, err := os.Stderr.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return &Bar{}
	}
	w := progress.NewWriter()
	w.SetOutputWriter(os.Stderr)
	w.SetUpdateFrequency(100 * time.Millisecond)
	w.Style().Visibility.ETA = true
	tr := &progress.Tracker{Message: msg, Total: total, Units: units}
	w.AppendTracker(tr)
	go w.Render()
	return &Bar{w: w, tr: tr}
}

// Set records that done of total units are finished.
func (b *Bar) Set(done, total int64) {
	if b.tr == nil {
		return
	}
	if total != b.tr.Total {
		b.tr.UpdateTotal(total)
	}
	b.tr.SetValue(done)
}

// Add records n more finished units.
func (b *Bar) Add(n int64) {
	if b.tr != nil {
		b.tr.Increment(n)
	}
}

// Stop draws the bar's final state, marked done or failed, and ends it.
func (b *Bar) Stop(ok bool) {
	if b.tr == nil {
		return
	}
	if ok {
		b.tr.MarkAsDone()
	} else {
		b.tr.MarkAsErrored()
	}
	time.Sleep(150 * time.Millisecond) // let the renderer draw the last state
	b.w.Stop()
}
