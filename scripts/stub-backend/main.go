// Command stub-backend is a stand-in DynamoDB backend for benchmarks only:
// scripts/bench-gateway.sh --stub puts it behind `assumed serve --backend`
// to measure the gateway's forwarding path against a peer that keeps its
// connections alive and is not the bottleneck, unlike moto. It is not a
// DynamoDB emulator and checks nothing: no signature, no table, no key.
//
// It answers every POST carrying `X-Amz-Target: DynamoDB_20120810.GetItem`
// with 200 and one fixed item, the one the script creates in moto:
//
//	{"Item":{"ID":{"S":"KEY"},"payload":{"S":"xxx…"},"n":{"N":"42"}}}
//
// where ID is --key-attribute, KEY is --key, and the payload is 100 x. It
// sets x-amzn-RequestId and x-amz-crc32 as moto does. Anything else gets
// 404 with {"__type":"UnknownOperationException"}; in particular GET
// /moto-api/ and /_localstack/health get 404, so assumed takes it for a
// generic backend. It reads and discards every request body, and speaks
// HTTP/1.1 with keep-alive on.
//
// Usage:
//
//	stub-backend --listen 127.0.0.1:8001 [--key-attribute id] --key item-1
//
// Once it listens, it prints its address (host:port) as the first line on
// stdout, so --listen 127.0.0.1:0 works too.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const getItemTarget = "DynamoDB_20120810.GetItem"

func main() {
	listen := flag.String("listen", "", "`ADDRESS` to listen on, e.g. 127.0.0.1:0 (required)")
	keyAttr := flag.String("key-attribute", "id", "name of the item's partition key attribute")
	key := flag.String("key", "", "partition key value of the item (required)")
	flag.Parse()
	if *listen == "" || *key == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "stub-backend: want --listen ADDRESS and --key KEY, and no arguments")
		flag.Usage()
		os.Exit(2)
	}

	body := fmt.Appendf(nil, `{"Item":{%s:{"S":%s},"payload":{"S":"%s"},"n":{"N":"42"}}}`,
		jsonString(*keyAttr), jsonString(*key), strings.Repeat("x", 100))

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stub-backend:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())

	srv := &http.Server{Handler: newHandler(body), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(os.Stderr, "stub-backend:", srv.Serve(ln))
	os.Exit(1)
}

// jsonString returns s as a JSON string.
func jsonString(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

// newHandler returns the stub's handler, answering GetItem with item.
func newHandler(item []byte) http.Handler {
	itemLen := strconv.Itoa(len(item))
	itemCRC := strconv.FormatUint(uint64(crc32.ChecksumIEEE(item)), 10)
	unknown := []byte(`{"__type":"UnknownOperationException"}`)
	unknownLen := strconv.Itoa(len(unknown))
	unknownCRC := strconv.FormatUint(uint64(crc32.ChecksumIEEE(unknown)), 10)
	var requests atomic.Uint64

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/x-amz-json-1.0"}
		h["X-Amzn-Requestid"] = []string{"stub-" + strconv.FormatUint(requests.Add(1), 10)}
		if r.Method == http.MethodPost && r.Header.Get("X-Amz-Target") == getItemTarget {
			h["Content-Length"] = []string{itemLen}
			h["X-Amz-Crc32"] = []string{itemCRC}
			w.WriteHeader(http.StatusOK)
			w.Write(item)
			return
		}
		h["Content-Length"] = []string{unknownLen}
		h["X-Amz-Crc32"] = []string{unknownCRC}
		w.WriteHeader(http.StatusNotFound)
		w.Write(unknown)
	})
}
