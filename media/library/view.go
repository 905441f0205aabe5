package library

import (
	"context"
	"time"

	"github.com/archipel/archipel/store"
)

// RenditionView is one playable or viewable file of an item, as the JSON
// API, the CLI and the pages show it.
type RenditionView struct {
	Name     string `json:"name"`
	MimeType string `json:"mime_type"`
	URL      string `json:"url"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Width    int    `json:"width,omitempty"`
	Height   int    `json:"height,omitempty"`
	FPS      int    `json:"fps,omitempty"`
	Bitrate  int64  `json:"bitrate,omitempty"`
	// Torrent holds the rendition's torrent links, once it has one.
	Torrent *TorrentURLs `json:"torrent,omitempty"`
}

// ItemView is an item with its renditions.
type ItemView struct {
	ID              string          `json:"id"`
	URL             string          `json:"url"`
	Channel         string          `json:"channel"`
	Kind            string          `json:"kind"`
	State           string          `json:"state"`
	Progress        int             `json:"progress"`
	Error           string          `json:"error,omitempty"`
	Title           string          `json:"title"`
	Description     string          `json:"description"`
	DurationSeconds float64         `json:"duration_seconds"`
	PublishedAt     *time.Time      `json:"published_at"`
	CreatedAt       time.Time       `json:"created_at"`
	Renditions      []RenditionView `json:"renditions"`
	Source          *RenditionView  `json:"source,omitempty"` // only for the owner
}

// MediaURL is the public URL of a stored file.
func (l *Library) MediaURL(key string) string {
	return l.PublicURL.String() + "/media/" + key
}

// ItemURL is the public page of an item.
func (l *Library) ItemURL(item *store.Item) string {
	return l.PublicURL.String() + "/i/" + item.PublicID
}

// View builds the item's view; withSource adds the uploaded original.
func (l *Library) View(ctx context.Context, item *store.Item, withSource bool) (*ItemView, error) {
	files, err := l.Store.MediaFiles(ctx, item.ID)
	if err != nil {
		return nil, err
	}
	v := &ItemView{
		ID: item.PublicID, URL: l.ItemURL(item), Channel: item.ChannelHandle, Kind: item.Kind,
		State: item.State, Progress: item.Progress, Title: item.Title, Description: item.Description,
		DurationSeconds: item.Duration.Seconds(), PublishedAt: item.PublishedAt, CreatedAt: item.CreatedAt,
		Renditions: []RenditionView{},
	}
	if item.State == store.StateFailed {
		v.Error = item.ErrorTail
	}
	torrents, err := l.Store.ItemTorrents(ctx, item.ID)
	if err != nil {
		return nil, err
	}
	byFile := make(map[int64]*store.Torrent, len(torrents))
	for _, t := range torrents {
		byFile[t.MediaFileID] = t
	}
	for _, f := range files {
		u := l.MediaURL(f.StorageKey)
		if f.StorageKey == "" && f.RemoteURL != "" {
			u = f.RemoteURL // a file kept where it was (e.g. an imported episode's enclosure)
		}
		rv := RenditionView{Name: f.Rendition, MimeType: f.MimeType, URL: u, Size: f.Size,
			SHA256: f.SHA256, Width: f.Width, Height: f.Height, FPS: f.FPS, Bitrate: f.Bitrate}
		if t := byFile[f.ID]; t != nil && f.StorageKey != "" {
			if rv.Torrent, err = l.TorrentURLs(t, f.StorageKey); err != nil {
				return nil, err
			}
		} else if f.StorageKey == "" && (f.TorrentURL != "" || f.MagnetURI != "") {
			// A remote file's links, as its origin gave them.
			rv.Torrent = &TorrentURLs{Torrent: f.TorrentURL, Magnet: f.MagnetURI, WebSeed: f.RemoteURL}
		}
		if f.Rendition == "source" {
			if withSource {
				v.Source = &rv
			}
			continue
		}
		v.Renditions = append(v.Renditions, rv)
	}
	return v, nil
}

// Transcripts are the item's transcript files (WebVTT or SubRip).
func (v *ItemView) Transcripts() []RenditionView {
	var out []RenditionView
	for _, r := range v.Renditions {
		if r.Name == "transcript" {
			out = append(out, r)
		}
	}
	return out
}

// Playable splits renditions into what a player lists as sources (video or
// audio, best first) and pictures.
func (v *ItemView) Playable() (sources []RenditionView, thumbnail, poster, waveform string) {
	for _, r := range v.Renditions {
		switch r.Name {
		case "thumbnail":
			thumbnail = r.URL
		case "poster":
			poster = r.URL
		case "waveform":
			waveform = r.URL
		case "transcript":
			continue // see Transcripts
		case "audio":
			if v.Kind == store.ItemVideo {
				continue // the audio-only rendition of a video is not a <video> source
			}
			sources = append(sources, r)
		default:
			sources = append(sources, r)
		}
	}
	return sources, thumbnail, poster, waveform
}
