// Package interop checks frontdoor's SD-JWT VC verifier and wallet against an
// independent implementation: the OpenWallet Foundation's sd-jwt-js
// (@sd-jwt/sd-jwt-vc on npm), driven by interop.mjs. Run setup.sh (npm ci)
// first; without node or the installed packages the tests skip, and fail
// when CI=true.
package interop
