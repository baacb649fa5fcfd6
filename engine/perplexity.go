package engine

import (
	"errors"
	"fmt"
	"math"
)

// Perplexity scores every token of targets exactly once: targets are cut
// into consecutive chunks of chunkLen tokens and each chunk is evaluated as
// [bos] + chunk[:len-1] in a fresh context, so token k of a chunk is
// predicted from the chunk's tokens before it. This is the protocol of the
// tolstoy-4m README (not llama-perplexity's, which scores half windows).
// progress, when set, is called after each chunk with the tokens scored.
func (e *Engine) Perplexity(targets []int32, bos int32, chunkLen int, progress func(done, total int)) (float64, error) {
	if len(targets) == 0 {
		return 0, errors.New("perplexity: no tokens to score")
	}
	if chunkLen <= 0 || chunkLen > e.Context {
		return 0, fmt.Errorf("perplexity: chunks of %d tokens do not fit the context of %d", chunkLen, e.Context)
	}
	vocab := e.Model.Config().Vocab
	for i, id := range targets {
		if id < 0 || int(id) >= vocab {
			return 0, fmt.Errorf("perplexity: token %d is id %d, outside the vocabulary of %d", i, id, vocab)
		}
	}
	seq := e.NewSequence()
	logits := make([]float32, chunkLen*vocab)
	input := make([]int32, 0, chunkLen)
	var nll float64
	for start := 0; start < len(targets); start += chunkLen {
		chunk := targets[start:min(start+chunkLen, len(targets))]
		input = append(append(input[:0], bos), chunk[:len(chunk)-1]...)
		seq.Truncate(0)
		if err := seq.Eval(input, logits[:len(input)*vocab]); err != nil {
			return 0, err
		}
		for k, want := range chunk {
			row := logits[k*vocab : (k+1)*vocab]
			nll += logSumExp(row) - float64(row[want])
		}
		if progress != nil {
			progress(start+len(chunk), len(targets))
		}
	}
	return math.Exp(nll / float64(len(targets))), nil
}
