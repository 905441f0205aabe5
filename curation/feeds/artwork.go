package feeds

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // CheckArtwork reads JPEG
	_ "image/png"  // and PNG
	"io"
	"strings"
)

// Apple Podcasts' artwork limits, in pixels.
const (
	ArtworkMinSize = 1400
	ArtworkMaxSize = 3000
)

// CheckArtwork reads the header of an image and checks it against Apple
// Podcasts' artwork rules: JPEG or PNG, RGB, square (a difference of up to
// 1% between the sides is tolerated), from 1400×1400 to 3000×3000 pixels.
// It returns the size it read — also along with a rule's error — and an
// error in plain English, fit to show to the person who uploaded it.
func CheckArtwork(r io.Reader) (width, height int, err error) {
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return 0, 0, fmt.Errorf("the artwork could not be read as a JPEG or PNG image (%v)", err)
	}
	width, height = cfg.Width, cfg.Height
	if format != "jpeg" && format != "png" {
		return width, height, fmt.Errorf("the artwork is a %s image; Apple Podcasts accepts only JPEG or PNG", strings.ToUpper(format))
	}
	switch cfg.ColorModel {
	case color.CMYKModel:
		return width, height, fmt.Errorf("the artwork uses CMYK colours; save it in RGB")
	case color.GrayModel, color.Gray16Model:
		return width, height, fmt.Errorf("the artwork is greyscale; save it in RGB")
	}
	long, short := max(width, height), min(width, height)
	if (long-short)*100 > long {
		return width, height, fmt.Errorf("the artwork is %d×%d pixels; it must be square", width, height)
	}
	if short < ArtworkMinSize {
		return width, height, fmt.Errorf("the artwork is %d×%d pixels; Apple Podcasts needs at least %d×%d", width, height, ArtworkMinSize, ArtworkMinSize)
	}
	if long > ArtworkMaxSize {
		return width, height, fmt.Errorf("the artwork is %d×%d pixels; Apple Podcasts accepts at most %d×%d", width, height, ArtworkMaxSize, ArtworkMaxSize)
	}
	return width, height, nil
}
