package app

import (
	"net/http"

	"github.com/assumed-dev/assumed/internal/console"
)

// consoleAssets are the web console's built files, embedded in the
// binary.
func consoleAssets() http.Handler { return console.Handler() }
