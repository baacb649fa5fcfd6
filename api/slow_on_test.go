//go:build slow

package api

const slowTests = true
