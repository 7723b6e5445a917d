// Package qrscan reads back the QR codes frontdoor draws, for tests that
// check a served PNG carries the right link.
package qrscan

import (
	"fmt"
	"image"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
)

// Decode reads a QR code image that is the symbol alone, as the server
// draws it (whole modules of one pixel size, 4-module quiet zone).
//
// Why PURE_BARCODE: without it gozxing hunts for finder patterns row by
// row and stops once three look confirmed; about 1 link in 80 has a
// finder-like 1:1:3:1:1 run in its data modules above the real
// bottom-left finder, which it then takes for a corner and fails. A
// server-drawn PNG is not a camera photo: reading its grid directly is
// the right check, and fails if the modules are not whole pixels.
func Decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("qr bitmap: %w", err)
	}
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("qr decode: %w", err)
	}
	return res.GetText(), nil
}
