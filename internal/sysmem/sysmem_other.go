//go:build !linux && !darwin && !windows

package sysmem

func read() (Info, error) { return Info{}, ErrUnsupported }
