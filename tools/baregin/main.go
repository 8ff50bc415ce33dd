// Command baregin is the yardstick of scripts/loadbench: a bare Gin engine (no
// middleware) that serves, on the same paths, the exact bytes a running geopol answered.
// Driving it and geopol with the same load in the same run measures what geopol's own
// work costs on top of Gin and net/http on this machine.
//
//	baregin -from http://127.0.0.1:8000 -key gp_live_... PATH...
//
// It fetches every PATH (query included) from -from with the key, then listens on -addr
// and prints "listening on ADDR" once it serves. A request for a fetched path (any query)
// gets its body with the Content-Type geopol sent; anything else is 404.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/gin-gonic/gin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	from := flag.String("from", "http://127.0.0.1:8000", "base URL of the geopol to copy")
	key := flag.String("key", "", "API key sent to geopol")
	header := flag.String("header", "X-API-Key", "header that carries the key")
	flag.Parse()
	if flag.NArg() == 0 {
		log.Fatal("baregin: name at least one path to copy")
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	client := &http.Client{Timeout: 10 * time.Second}
	for _, p := range flag.Args() {
		body, ctype, err := fetch(client, *from+p, *header, *key)
		if err != nil {
			log.Fatalf("baregin: %s: %v", p, err)
		}
		u, err := url.Parse(p)
		if err != nil {
			log.Fatalf("baregin: %s: %v", p, err)
		}
		r.GET(u.Path, func(c *gin.Context) { c.Data(http.StatusOK, ctype, body) })
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	_ = os.Stdout.Sync()
	log.Fatal(http.Serve(ln, r))
}

// fetch GETs rawURL with the key and returns the body and Content-Type of a 200.
func fetch(client *http.Client, rawURL, header, key string) ([]byte, string, error) {
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set(header, key)
	res, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, "", err
	}
	if res.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("geopol answered %d: %s", res.StatusCode, body)
	}
	return body, res.Header.Get("Content-Type"), nil
}
