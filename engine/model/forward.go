package model

import "fmt"

// Forward runs a batch of chunks, each some tokens of one sequence, through
// m: the matrix products see the rows of every chunk at once, attention
// sees each chunk's own cache, and each chunk's keys and values are
// appended to its cache. A batch larger than s.Batch runs as several
// passes, splitting chunks where it must, with the same results: a chunk's
// later tokens attend to its earlier ones through the cache either way.
//
// Every chunk is checked before anything runs, so an error leaves every
// cache as it was.
func Forward(m Model, s *Scratch, chunks []Chunk) error {
	c := m.Config()
	n := 0
	for i := range chunks {
		if err := check(c, &chunks[i]); err != nil {
			return fmt.Errorf("model: chunk %d: %w", i, err)
		}
		n += len(chunks[i].Tokens)
	}
	if n <= s.Batch {
		m.pass(s, chunks)
		return nil
	}
	for i, off := 0, 0; i < len(chunks); {
		parts, room := s.parts[:0], s.Batch
		for room > 0 && i < len(chunks) {
			ch := &chunks[i]
			k := min(len(ch.Tokens)-off, room)
			p := Chunk{Cache: ch.Cache, Tokens: ch.Tokens[off : off+k], Pos: ch.Pos + off, All: ch.All}
			end := off+k == len(ch.Tokens)
			switch {
			case ch.Hidden != nil:
				p.Hidden = ch.Hidden[off*c.Dim : (off+k)*c.Dim]
			case ch.All && ch.Logits != nil:
				p.Logits = ch.Logits[off*c.Vocab : (off+k)*c.Vocab]
			case end:
				p.Logits = ch.Logits
			}
			parts = append(parts, p)
			room -= k
			off += k
			if end {
				i, off = i+1, 0
			}
		}
		s.parts = parts
		m.pass(s, parts)
	}
	return nil
}

// check validates one chunk against the model and its cache.
func check(c *Config, ch *Chunk) error {
	if len(ch.Tokens) == 0 {
		return fmt.Errorf("no tokens")
	}
	if err := ch.Cache.Reserve(ch.Pos, len(ch.Tokens)); err != nil {
		return err
	}
	for _, t := range ch.Tokens {
		if t < 0 || int(t) >= c.Vocab {
			return fmt.Errorf("token id %d is out of range [0, %d)", t, c.Vocab)
		}
	}
	switch {
	case ch.Hidden != nil:
		if len(ch.Hidden) < len(ch.Tokens)*c.Dim {
			return fmt.Errorf("hidden-state buffer of %d, want %d", len(ch.Hidden), len(ch.Tokens)*c.Dim)
		}
	case ch.Logits == nil:
		// Nothing wanted: a prefill chunk that does not end its prompt.
	case ch.All && len(ch.Logits) < len(ch.Tokens)*c.Vocab, len(ch.Logits) < c.Vocab:
		return fmt.Errorf("logits buffer of %d is too small", len(ch.Logits))
	}
	return nil
}
