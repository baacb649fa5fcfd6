// Package version is Kiln's version string, shared by the bundler, the stub
// and the API's /api/version.
package version

// Version is the release version. It is a constant (not stamped at link
// time) so that builds and bundles stay byte-for-byte reproducible.
const Version = "0.1.0"
