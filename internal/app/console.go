package app

import "net/http"

// consoleAssets are the web console's built files; nil until the console
// package is linked in.
func consoleAssets() http.Handler { return nil }
