// Package kv holds the key/value cache of one sequence: per layer, the keys
// and values of every position seen so far, in half precision as llama.cpp's
// default F16 cache stores them.
package kv

import "fmt"

// Cache is the KV cache of one sequence.
type Cache struct {
	ctx    int        // positions it can hold
	stride int        // values per position per layer (KV heads × head dim)
	k, v   [][]uint16 // [layer][position*stride + i]
	len    int        // positions filled
}

// New allocates a cache for layers layers, ctx positions and kvDim values per
// position.
func New(layers, ctx, kvDim int) *Cache {
	c := &Cache{ctx: ctx, stride: kvDim}
	c.k = make([][]uint16, layers)
	c.v = make([][]uint16, layers)
	for l := range c.k {
		c.k[l] = make([]uint16, ctx*kvDim)
		c.v[l] = make([]uint16, ctx*kvDim)
	}
	return c
}

// Bytes is the memory a cache of this shape takes.
func Bytes(layers, ctx, kvDim int) int64 { return int64(layers) * int64(ctx) * int64(kvDim) * 2 * 2 }

// Len is the number of positions filled.
func (c *Cache) Len() int { return c.len }

// Cap is the number of positions the cache holds.
func (c *Cache) Cap() int { return c.ctx }

// Keys returns layer l's keys for positions [0, upto).
func (c *Cache) Keys(l, upto int) []uint16 { return c.k[l][:upto*c.stride] }

// Values returns layer l's values for positions [0, upto).
func (c *Cache) Values(l, upto int) []uint16 { return c.v[l][:upto*c.stride] }

// Slot returns where layer l's keys and values for positions [pos, pos+n) go.
func (c *Cache) Slot(l, pos, n int) (k, v []uint16) {
	return c.k[l][pos*c.stride : (pos+n)*c.stride], c.v[l][pos*c.stride : (pos+n)*c.stride]
}

// Reserve checks that n more tokens fit after position pos.
func (c *Cache) Reserve(pos, n int) error {
	if pos < 0 || pos > c.len {
		return fmt.Errorf("kv: position %d but only %d cached", pos, c.len)
	}
	if pos+n > c.ctx {
		return fmt.Errorf("kv: %d tokens at position %d exceed the context of %d", n, pos, c.ctx)
	}
	return nil
}

// Commit records that positions up to end are filled.
func (c *Cache) Commit(end int) { c.len = end }

// Truncate forgets every position from n on (to reuse a shared prefix).
func (c *Cache) Truncate(n int) {
	if n < c.len {
		c.len = n
	}
}
