package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Filter selects records; its zero value selects all.
type Filter struct {
	// Account selects the records delivered to this account
	// (recipientAccountId).
	Account string
	// Principal selects the calls of this principal: the caller's ARN, or
	// the ARN of the role (or user) whose session made the call, so that
	// a role's ARN selects every session of it.
	Principal string
	// Denied selects refusals by policy (IsAccessDenied).
	Denied bool
	// Since selects the records of calls at or after this time.
	Since time.Time
}

// Match reports whether the filter selects r.
func (f *Filter) Match(r *Record) bool {
	if f.Account != "" && r.RecipientAccountID != f.Account {
		return false
	}
	if f.Principal != "" && r.UserIdentity.ARN != f.Principal {
		sc := r.UserIdentity.SessionContext
		if sc == nil || sc.SessionIssuer == nil || sc.SessionIssuer.ARN != f.Principal {
			return false
		}
	}
	if f.Denied && !IsAccessDenied(r.ErrorCode) {
		return false
	}
	if !f.Since.IsZero() && r.EventTime.Before(f.Since.Truncate(time.Second)) {
		return false
	}
	return true
}

// Files returns the audit log at path and its rotated files that exist,
// oldest first: PATH.N, …, PATH.1, PATH.
func Files(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read the audit log's directory: %w", err)
	}
	type file struct {
		name string
		n    int
	}
	var files []file
	for _, e := range entries {
		name := e.Name()
		if name == base {
			files = append(files, file{path, 0})
			continue
		}
		suffix, ok := strings.CutPrefix(name, base+".")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(suffix)
		if err != nil || n < 1 || strconv.Itoa(n) != suffix {
			continue
		}
		files = append(files, file{rotated(path, n), n})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].n > files[j].n })
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.name
	}
	return out, nil
}

// maxLine bounds one record's line when reading.
const maxLine = 4 << 20

// Result counts what a Read saw.
type Result struct {
	Files   int // files read
	Matched int // records selected
	Skipped int // lines that were not a record (cut short, or not JSON)
}

// Read calls fn, oldest first (newest last), with each record of the
// audit log at path and its rotated files that f selects, and the record's
// line as written (valid only during the call). Files last written before f.Since are not opened. A
// line that is not a record is skipped and counted. fn's error stops the
// read and is returned.
func Read(path string, f Filter, fn func(r *Record, line []byte) error) (Result, error) {
	var res Result
	files, err := Files(path)
	if err != nil {
		return res, err
	}
	if len(files) == 0 {
		return res, fmt.Errorf("no audit log at %s: %w", path, os.ErrNotExist)
	}
	for _, name := range files {
		if !f.Since.IsZero() {
			if st, err := os.Stat(name); err == nil && st.ModTime().Before(f.Since.Truncate(time.Second)) {
				continue
			}
		}
		if err := readFile(name, f, fn, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func readFile(name string, f Filter, fn func(*Record, []byte) error, res *Result) error {
	file, err := os.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil // rotated away while we read
	}
	if err != nil {
		return fmt.Errorf("read the audit log: %w", err)
	}
	defer file.Close()
	res.Files++
	br := bufio.NewReaderSize(file, 64<<10)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long)+len(chunk) <= maxLine {
				long = append(long, chunk...)
			} else {
				long = append(long[:0], 'x') // too long: never a record
			}
			continue
		}
		line := chunk
		if long != nil {
			line = append(long, chunk...)
			long = nil
		}
		if err == io.EOF {
			// A last line without its newline is being written, or was
			// cut short: it is not a record yet.
			if len(bytes.TrimSpace(line)) > 0 {
				res.Skipped++
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the audit log %s: %w", name, err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			continue
		}
		var r Record
		if json.Unmarshal(line, &r) != nil || r.EventVersion == "" {
			res.Skipped++
			continue
		}
		if !f.Match(&r) {
			continue
		}
		res.Matched++
		if err := fn(&r, line); err != nil {
			return err
		}
	}
}
