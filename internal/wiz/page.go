package wiz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// decodePage reads the connection at data[key]: its nodes and pageInfo. It
// walks the page once and hands the nodes out as sub-slices of data,
// without decoding or copying them: the mapping decodes each node anyway.
// data is the "data" member go-graphql-client decoded with encoding/json,
// so it is valid JSON; the walk checks structure only, and on anything
// unexpected it reports the response as malformed.
func decodePage(data []byte, key string) (Page, error) {
	s := pageScanner{data: data}
	var page Page
	var info pageInfo
	found := false
	// Repeated keys behave as in encoding/json: the last one wins.
	var err error
	if !s.null() {
		err = s.object(s.connection(key, &page, &info, &found))
	}
	if err != nil {
		return Page{}, &retryableError{err: fmt.Errorf("wiz response is not valid JSON: %w", err), reason: "bad_response"}
	}
	if !found {
		return Page{}, &QueryError{Message: fmt.Sprintf("the response has no %q connection", key)}
	}
	page.HasNextPage, page.EndCursor = info.HasNextPage, info.EndCursor
	return page, nil
}

// connection returns the member callback of the response object: it reads
// the connection under key and skips everything else.
func (s *pageScanner) connection(key string, page *Page, info *pageInfo, found *bool) func(k []byte) error {
	return func(k []byte) error {
		if !keyIs(k, key) {
			return s.skip()
		}
		*page, *info, *found = Page{}, pageInfo{}, false
		if s.null() {
			return nil
		}
		*found = true
		return s.object(func(k []byte) error {
			switch {
			case keyIs(k, "nodes"):
				if s.null() {
					page.Nodes = nil
					return nil
				}
				page.Nodes = []json.RawMessage{}
				return s.array(func(node []byte) { page.Nodes = append(page.Nodes, json.RawMessage(node)) })
			case keyIs(k, "pageInfo"):
				return s.decodeSmall(info)
			default:
				return s.skip()
			}
		})
	}
}

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

var errMalformed = errors.New("malformed JSON")

// pageScanner walks JSON text without building values.
type pageScanner struct {
	data []byte
	i    int
}

func (s *pageScanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and reports the next byte, or 0 at the end.
func (s *pageScanner) next() byte {
	s.space()
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

func (s *pageScanner) null() bool {
	if s.next() == 'n' && bytes.HasPrefix(s.data[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// str consumes a string and returns its raw (still escaped) contents.
func (s *pageScanner) str() ([]byte, error) {
	if s.next() != '"' {
		return nil, errMalformed
	}
	start := s.i + 1
	for i := start; i < len(s.data); i++ {
		switch s.data[i] {
		case '\\':
			i++
		case '"':
			s.i = i + 1
			return s.data[start:i], nil
		}
	}
	return nil, errMalformed
}

// object consumes an object, calling member with each key while positioned
// at its value; member must consume the value.
func (s *pageScanner) object(member func(key []byte) error) error {
	if s.next() != '{' {
		return errMalformed
	}
	s.i++
	if s.next() == '}' {
		s.i++
		return nil
	}
	for {
		key, err := s.str()
		if err != nil {
			return err
		}
		if s.next() != ':' {
			return errMalformed
		}
		s.i++
		if err := member(key); err != nil {
			return err
		}
		switch s.next() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return errMalformed
		}
	}
}

// array consumes an array, passing each element's raw text.
func (s *pageScanner) array(element func(raw []byte)) error {
	if s.next() != '[' {
		return errMalformed
	}
	s.i++
	if s.next() == ']' {
		s.i++
		return nil
	}
	for {
		s.space()
		start := s.i
		if err := s.skip(); err != nil {
			return err
		}
		element(s.data[start:s.i])
		switch s.next() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return errMalformed
		}
	}
}

// skip consumes one value of any kind.
func (s *pageScanner) skip() error {
	switch s.next() {
	case '"':
		_, err := s.str()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case '"':
				if _, err := s.str(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errMalformed
	case 0:
		return errMalformed
	default:
		// A number or a literal runs to the next delimiter.
		start := s.i
		for s.i < len(s.data) && !bytes.ContainsRune([]byte(",}] \t\n\r"), rune(s.data[s.i])) {
			s.i++
		}
		if s.i == start {
			return errMalformed
		}
		return nil
	}
}

// decodeSmall decodes the next value into v with encoding/json: pageInfo
// is small, and this gets escapes and types exactly right.
func (s *pageScanner) decodeSmall(v any) error {
	s.space()
	start := s.i
	if err := s.skip(); err != nil {
		return err
	}
	return json.Unmarshal(s.data[start:s.i], v)
}

// keyIs compares a raw JSON key with want, unescaping only when needed.
func keyIs(raw []byte, want string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == want
	}
	var key string
	if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &key); err != nil {
		return false
	}
	return key == want
}
