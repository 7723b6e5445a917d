// Package interop checks frontdoor against independent implementations run
// as real node processes: the OpenWallet Foundation's sd-jwt-js
// (@sd-jwt/sd-jwt-vc, driven by interop.mjs) for SD-JWT VC, and an
// OpenID4VP 1.0 wallet (openid4vp-wallet.mjs) built on @openid4vc/openid4vp,
// @sd-jwt/sd-jwt-vc and @animo-id/mdoc that answers a real `frontdoor serve`
// with an SD-JWT VC or an mDL. Run setup.sh (npm ci) first; without node or
// the installed packages the tests skip, and fail when CI=true.
package interop
