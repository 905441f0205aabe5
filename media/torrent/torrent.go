// Package torrent makes BitTorrent metadata for stored renditions: the info
// dictionary (hashed once, from the stored file), the .torrent file with the
// hub's WebTorrent tracker and the file's URL as its BEP 19 web seed, and
// the magnet link. It is pure: no database, no network.
package torrent

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// Piece lengths suited to streaming: the player fetches one web-seed range
// per piece, so pieces stay between 256 KiB and 1 MiB.
const (
	MinPieceLength = 256 << 10
	MaxPieceLength = 1 << 20
	// targetPieces is how many pieces a file is cut into before the
	// bounds apply: enough to share early, few enough to keep the
	// .torrent small (20 bytes of hash per piece).
	targetPieces = 1024
)

// MimeType is the media type of a .torrent file; MagnetMimeType is the one
// PeerTube gives magnet links in ActivityPub.
const (
	MimeType       = "application/x-bittorrent"
	MagnetMimeType = "application/x-bittorrent;x-scheme-handler/magnet"
)

// PieceLength is the piece length for a file of size bytes: a power of two
// from MinPieceLength to MaxPieceLength.
func PieceLength(size int64) int64 {
	l := int64(MinPieceLength)
	for l < MaxPieceLength && size/l > targetPieces {
		l *= 2
	}
	return l
}

// Info is a hashed single-file torrent: its bencoded info dictionary and
// infohash.
type Info struct {
	Hash        [20]byte
	Bytes       []byte // bencoded info dictionary
	PieceLength int64
	Name        string
	Length      int64
}

// HexHash is the infohash in lower-case hex, as magnet links and URLs
// carry it.
func (i *Info) HexHash() string { return hex.EncodeToString(i.Hash[:]) }

// Build hashes r (size bytes, read once) into a single-file torrent named
// name.
func Build(r io.Reader, name string, size int64) (*Info, error) {
	if size <= 0 {
		return nil, fmt.Errorf("torrent: %q is empty", name)
	}
	if name == "" || strings.ContainsAny(name, "/\\") {
		return nil, fmt.Errorf("torrent: bad file name %q", name)
	}
	info := metainfo.Info{Name: name, Length: size, PieceLength: PieceLength(size)}
	used := false
	err := info.GeneratePieces(func(metainfo.FileInfo) (io.ReadCloser, error) {
		if used {
			return nil, fmt.Errorf("torrent: a single file is read once")
		}
		used = true
		return io.NopCloser(&exactReader{r: r, left: size, name: name}), nil
	})
	if err != nil {
		return nil, fmt.Errorf("torrent: hash %q: %w", name, err)
	}
	b, err := bencode.Marshal(info)
	if err != nil {
		return nil, err
	}
	return &Info{Hash: metainfo.HashBytes(b), Bytes: b, PieceLength: info.PieceLength, Name: name, Length: size}, nil
}

// exactReader reads exactly left bytes, failing if r is shorter: a file
// that changed size between its row and its bytes must not be hashed.
type exactReader struct {
	r    io.Reader
	left int64
	name string
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		return n, fmt.Errorf("%q is %d bytes shorter than recorded: %w", e.name, e.left, io.ErrUnexpectedEOF)
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// Parse reads back a stored info dictionary.
func Parse(b []byte) (*Info, error) {
	var info metainfo.Info
	if err := bencode.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("torrent: bad info dictionary: %w", err)
	}
	return &Info{Hash: metainfo.HashBytes(b), Bytes: b, PieceLength: info.PieceLength, Name: info.Name, Length: info.Length}, nil
}

// File is the .torrent of info: announced to tracker, with webSeed as its
// BEP 19 web seed (the exact file URL: a single-file web seed must not end
// in "/"). Empty strings leave either out.
func File(info *Info, tracker, webSeed string) []byte {
	mi := metainfo.MetaInfo{InfoBytes: info.Bytes, CreatedBy: "Archipel"}
	if tracker != "" {
		mi.Announce = tracker
		mi.AnnounceList = [][]string{{tracker}}
	}
	if webSeed != "" {
		mi.UrlList = []string{webSeed}
	}
	b, err := bencode.Marshal(mi)
	if err != nil {
		panic("torrent: marshal a metainfo: " + err.Error()) // only strings and bytes: cannot fail
	}
	return b
}

// Magnet is the magnet link of info: its infohash, name, tracker, web seed
// (ws), .torrent URL (xs) and a peer to ask directly (x.pe, BEP 9: the
// hub's seeder, host:port). Empty strings leave a part out.
func Magnet(info *Info, tracker, webSeed, torrentURL, peer string) string {
	q := "xt=urn:btih:" + info.HexHash() + "&dn=" + url.QueryEscape(info.Name)
	if tracker != "" {
		q += "&tr=" + url.QueryEscape(tracker)
	}
	if webSeed != "" {
		q += "&ws=" + url.QueryEscape(webSeed)
	}
	if torrentURL != "" {
		q += "&xs=" + url.QueryEscape(torrentURL)
	}
	if peer != "" {
		q += "&x.pe=" + url.QueryEscape(peer)
	}
	return "magnet:?" + q
}

// TrackerURL is the hub's WebTorrent tracker for its public URL: wss:// on
// https, ws:// on http.
func TrackerURL(public *url.URL) string {
	u := *public
	u.Scheme = "ws"
	if public.Scheme == "https" {
		u.Scheme = "wss"
	}
	u.Path = path.Join("/", u.Path, "tracker/socket")
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// FileURL is where the hub serves the .torrent of an infohash.
func FileURL(public *url.URL, hexHash string) string {
	return strings.TrimSuffix(public.String(), "/") + "/torrents/" + hexHash + ".torrent"
}
