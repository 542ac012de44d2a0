package wire

import (
	"encoding/json"
	"fmt"
	"strconv"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonNumber(b []byte, f *float64) error {
	if err := json.Unmarshal(b, f); err != nil {
		return fmt.Errorf("expiration must be epoch seconds: %w", err)
	}
	return nil
}
