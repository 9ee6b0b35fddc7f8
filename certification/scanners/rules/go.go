// Test cases for go.yml: "ruleid:" marks a line that must be reported, "ok:" one that must not.
package main

import (
	"crypto/md5"
	"crypto/tls"
	"database/sql"
	"fmt"
	"io/ioutil"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
)

func run(userInput string, ctx context) {
	// ruleid: go-exec-non-constant
	exec.Command(userInput, "--flag")
	// ruleid: go-exec-non-constant
	exec.CommandContext(ctx, userInput)
	// ok: go-exec-non-constant
	exec.Command("git", "status", userInput)
	// ruleid: go-exec-shell
	exec.Command("sh", "-c", "ls "+userInput)
	// ok: go-exec-shell
	exec.Command("sh", "-c", "ls -la")
}

func tlsConfigs() {
	// ruleid: go-tls-insecure-skip-verify
	bad := &tls.Config{InsecureSkipVerify: true}
	// ok: go-tls-insecure-skip-verify
	good := &tls.Config{InsecureSkipVerify: false, MinVersion: tls.VersionTLS12}
	// ruleid: go-tls-insecure-skip-verify
	good.InsecureSkipVerify = true
	// ruleid: go-tls-old-version
	old := &tls.Config{MinVersion: tls.VersionTLS10}
	_, _, _ = bad, good, old
}

func secrets() {
	// ruleid: go-weak-random-secret
	sessionToken := fmt.Sprintf("%d", rand.Int63())
	// ok: go-weak-random-secret
	jitter := rand.Intn(100)
	_, _ = sessionToken, jitter
}

func queries(db *sql.DB, name string) {
	// ruleid: go-sql-string-concat
	db.Query("SELECT * FROM users WHERE name = '" + name + "'")
	// ruleid: go-sql-string-concat
	db.Exec(fmt.Sprintf("DELETE FROM users WHERE name = '%s'", name))
	// ok: go-sql-string-concat
	db.Query("SELECT * FROM users WHERE name = $1", name)
}

func credentials() {
	// ruleid: go-hardcoded-credential
	apiKey := "sk_live_0123456789abcdef"
	// ruleid: go-hardcoded-credential
	password := "hunter2hunter2"
	// ok: go-hardcoded-credential
	passwordSetting := "Password"
	// ok: go-hardcoded-credential
	username := "admin-user-name"
	_, _, _, _ = apiKey, password, passwordSetting, username
}

func urls() {
	// ruleid: go-plain-http-url
	http.Get("http://api.example.com/v1/data")
	// ok: go-plain-http-url
	http.Get("https://api.example.com/v1/data")
	// ok: go-plain-http-url
	http.Get("http://localhost:8065/api/v4/system/ping")
}

func files(data []byte) {
	// ruleid: go-world-writable-file
	os.WriteFile("/tmp/plugin.json", data, 0666)
	// ruleid: go-world-writable-file
	os.MkdirAll("/tmp/plugin", 0777)
	// ruleid: go-world-writable-file
	ioutil.WriteFile("/tmp/x", data, os.ModePerm)
	// ok: go-world-writable-file
	os.WriteFile("/tmp/plugin.json", data, 0600)
	// ok: go-world-writable-file
	os.MkdirAll("/tmp/plugin", 0o755)
}

func hashes(data []byte) {
	// ruleid: go-weak-hash-for-secret
	md5.Sum(data)
}

func handler(w http.ResponseWriter, r *http.Request) {
	// ruleid: go-path-traversal-join
	p := filepath.Join("/data", r.URL.Query().Get("file"))
	// ok: go-path-traversal-join
	q := filepath.Join("/data", "static.txt")
	_, _ = p, q
}
