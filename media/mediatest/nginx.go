// Package mediatest holds what benchmarks share to compare the hub with a
// reference server.
package mediatest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// StartNginx runs nginx in the foreground, one process, serving root on a
// free loopback port, and returns its base URL once probe (a path under
// root) answers 200. It is stopped at cleanup. ok is false when nginx is
// not installed.
func StartNginx(tb testing.TB, root, probe string, types map[string]string) (url string, ok bool) {
	tb.Helper()
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		return "", false
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	typeLines := ""
	for ext, mime := range types {
		typeLines += fmt.Sprintf("%s %s; ", mime, ext)
	}
	dir := tb.TempDir()
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
error_log %[1]s/error.log warn;
pid %[1]s/nginx.pid;
events { worker_connections 256; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	types { %[4]s}
	server {
		listen %[2]s;
		root %[3]s;
	}
}
`, dir, addr, root, typeLines)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(nginx, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confPath)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	url = "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			tb.Fatalf("nginx exited: %v\n%s", err, log)
		default:
		}
		resp, err := http.Get(url + "/" + probe)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, true
			}
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			tb.Fatalf("nginx answered %d\n%s", resp.StatusCode, log)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("nginx did not start: %v", err)
		}
	}
}
