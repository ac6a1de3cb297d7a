package redisx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// respServer is a tiny in-process Redis stand-in speaking RESP2: enough of
// the protocol for go-redis to connect (it rejects HELLO, so go-redis falls
// back to RESP2 and runs its set-up pipeline), run commands, pipelines and
// MULTI/EXEC, and get error replies. It keeps strings in a map.
//
//   - FAIL arg... replies "-ERR failed: arg..." (echoing the arguments as
//     servers do in their error text);
//   - WRONG replies "-WRONGTYPE Operation against a key holding the wrong kind of value";
//   - HELLO replies "-ERR unknown command 'HELLO'" unless hello is set;
//   - CLIENT replies "-ERR unknown subcommand" when rejectClient is set;
//   - anything else not listed below replies +OK.
type respServer struct {
	ln           net.Listener
	rejectClient bool

	mu    sync.Mutex
	data  map[string]string
	names []string // every command name received, in order
	wg    sync.WaitGroup
}

func newRESPServer(t *testing.T) *respServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &respServer{ln: ln, data: map[string]string{}}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *respServer) addr() string { return s.ln.Addr().String() }

func (s *respServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.names...)
}

func (s *respServer) serve() {
	defer s.wg.Done()
	var conns sync.WaitGroup
	var open []net.Conn
	for {
		c, err := s.ln.Accept()
		if err != nil {
			for _, c := range open {
				_ = c.Close()
			}
			conns.Wait()
			return
		}
		open = append(open, c)
		conns.Add(1)
		go func() {
			defer conns.Done()
			s.handle(c)
		}()
	}
}

func (s *respServer) handle(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	var queued [][]string
	inMulti := false
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		if len(args) == 0 {
			continue
		}
		name := strings.ToUpper(args[0])
		s.mu.Lock()
		s.names = append(s.names, name)
		s.mu.Unlock()
		switch {
		case name == "MULTI":
			inMulti, queued = true, nil
			w.WriteString("+OK\r\n")
		case name == "EXEC" && inMulti:
			inMulti = false
			fmt.Fprintf(w, "*%d\r\n", len(queued))
			for _, q := range queued {
				w.WriteString(s.reply(q))
			}
		case inMulti:
			queued = append(queued, args)
			w.WriteString("+QUEUED\r\n")
		default:
			w.WriteString(s.reply(args))
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

func (s *respServer) reply(args []string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch strings.ToUpper(args[0]) {
	case "HELLO":
		return "-ERR unknown command 'HELLO'\r\n"
	case "CLIENT":
		if s.rejectClient {
			return "-ERR unknown subcommand\r\n"
		}
		return "+OK\r\n"
	case "PING":
		return "+PONG\r\n"
	case "FAIL":
		return "-ERR failed: " + strings.Join(args[1:], " ") + "\r\n"
	case "WRONG":
		return "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
	case "SET":
		if len(args) >= 3 {
			s.data[args[1]] = args[2]
		}
		return "+OK\r\n"
	case "GET":
		if len(args) < 2 {
			return "-ERR wrong number of arguments for 'get' command\r\n"
		}
		v, ok := s.data[args[1]]
		if !ok {
			return "$-1\r\n"
		}
		return "$" + strconv.Itoa(len(v)) + "\r\n" + v + "\r\n"
	case "DEL":
		n := 0
		for _, k := range args[1:] {
			if _, ok := s.data[k]; ok {
				delete(s.data, k)
				n++
			}
		}
		return ":" + strconv.Itoa(n) + "\r\n"
	case "INCR":
		n, _ := strconv.Atoi(s.data[args[1]])
		n++
		s.data[args[1]] = strconv.Itoa(n)
		return ":" + strconv.Itoa(n) + "\r\n"
	}
	return "+OK\r\n"
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 || line[0] != '*' {
		return strings.Fields(line), nil // inline command
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 {
		return nil, fmt.Errorf("bad array header %q", line)
	}
	args := make([]string, n)
	for i := range args {
		h, err := readLine(r)
		if err != nil {
			return nil, err
		}
		if len(h) == 0 || h[0] != '$' {
			return nil, fmt.Errorf("bad bulk header %q", h)
		}
		l, err := strconv.Atoi(h[1:])
		if err != nil || l < 0 {
			return nil, fmt.Errorf("bad bulk length %q", h)
		}
		buf := make([]byte, l+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:l])
	}
	return args, nil
}

func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", errors.New("line without CRLF")
	}
	return line[:len(line)-2], nil
}
