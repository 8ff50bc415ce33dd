package metrics

import (
	"fmt"
	"net"
)

// listen binds the metrics address, naming the setting in its error.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s (METRICS_ADDR): %w; set METRICS_ADDR to a free address such as 127.0.0.1:9091, or leave it empty to serve no metrics", addr, err)
	}
	return ln, nil
}
