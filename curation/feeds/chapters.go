package feeds

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Chapter is one entry of Podcasting 2.0 JSON chapters.
type Chapter struct {
	StartTime float64 `json:"startTime"`
	Title     string  `json:"title"`
	Img       string  `json:"img,omitempty"`
	URL       string  `json:"url,omitempty"`
	TOC       *bool   `json:"toc,omitempty"`
	EndTime   float64 `json:"endTime,omitempty"`
}

// ChapterList is a JSON chapters document.
type ChapterList struct {
	Version  string    `json:"version"`
	Chapters []Chapter `json:"chapters"`
}

// MaxChapters bounds the chapters of one episode.
const MaxChapters = 500

// ParseChapters reads chapters as a creator types them: either the JSON
// chapters format, or one chapter per line, "start title", the start as
// SS, MM:SS or HH:MM:SS (e.g. "1:02:03 Questions"). It checks that starts
// are not negative and go up, and that every chapter has a title, and
// returns the JSON document; "" for empty input. Errors name the line.
func ParseChapters(text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", nil
	}
	var list ChapterList
	if strings.HasPrefix(text, "{") {
		if err := json.Unmarshal([]byte(text), &list); err != nil {
			return "", fmt.Errorf("the chapters are not valid JSON chapters: %v", err)
		}
	} else {
		for i, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			start, title, _ := strings.Cut(line, " ")
			secs, err := parseClock(start)
			if err != nil {
				return "", fmt.Errorf("line %d: %q does not start with a time such as 0:00 or 1:02:03", i+1, line)
			}
			list.Chapters = append(list.Chapters, Chapter{StartTime: secs, Title: strings.TrimSpace(title)})
		}
	}
	if list.Version == "" {
		list.Version = "1.2.0"
	}
	switch {
	case len(list.Chapters) == 0:
		return "", errors.New("there are no chapters")
	case len(list.Chapters) > MaxChapters:
		return "", fmt.Errorf("there are %d chapters: at most %d", len(list.Chapters), MaxChapters)
	}
	for i, c := range list.Chapters {
		switch {
		case c.StartTime < 0 || math.IsNaN(c.StartTime) || math.IsInf(c.StartTime, 0):
			return "", fmt.Errorf("chapter %d starts before the beginning", i+1)
		case i > 0 && c.StartTime <= list.Chapters[i-1].StartTime:
			return "", fmt.Errorf("chapter %d (%q) does not start after the one before it", i+1, c.Title)
		case strings.TrimSpace(c.Title) == "":
			return "", fmt.Errorf("chapter %d has no title", i+1)
		}
	}
	b, err := json.Marshal(list)
	return string(b), err
}

// FormatChapters writes JSON chapters back as lines for editing; JSON
// whose chapters carry more than a start and a title stays JSON.
func FormatChapters(doc string) string {
	var list ChapterList
	if doc == "" || json.Unmarshal([]byte(doc), &list) != nil {
		return doc
	}
	var b strings.Builder
	for _, c := range list.Chapters {
		if c.Img != "" || c.URL != "" || c.TOC != nil || c.EndTime != 0 || c.StartTime != math.Trunc(c.StartTime) {
			return doc
		}
		s := int(c.StartTime)
		if s >= 3600 {
			fmt.Fprintf(&b, "%d:%02d:%02d %s\n", s/3600, s/60%60, s%60, c.Title)
		} else {
			fmt.Fprintf(&b, "%d:%02d %s\n", s/60, s%60, c.Title)
		}
	}
	return b.String()
}

// parseClock reads SS, MM:SS or HH:MM:SS (seconds may have a fraction).
func parseClock(s string) (float64, error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0, errors.New("too many fields")
	}
	var total float64
	for i, p := range parts {
		if p == "" {
			return 0, errors.New("empty field")
		}
		if i < len(parts)-1 {
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 {
				return 0, errors.New("not a number")
			}
			total = total*60 + float64(n)
			continue
		}
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 || len(parts) > 1 && f >= 60 {
			return 0, errors.New("bad seconds")
		}
		total = total*60 + f
	}
	return total, nil
}
