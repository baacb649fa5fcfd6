//go:build !slow

package api

// slowTests is set by -tags slow: it turns on the npm client tests and the
// closing figures.
const slowTests = false
