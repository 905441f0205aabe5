package httpclient

import (
	"context"
	"fmt"
	"net/netip"
	"syscall"
)

// isPublic reports whether addr is an address a federation request may be
// sent to: not loopback, private, link-local, unspecified, multicast,
// CGNAT, "this network", broadcast or otherwise reserved, including the
// IPv4-mapped and NAT64 forms of those.
func isPublic(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.WithZone("").Unmap()
	if addr.Is6() {
		b := addr.As16()
		// RFC 6052 well-known NAT64 prefix 64:ff9b::/96 and RFC 8215
		// local-use prefix 64:ff9b:1::/48: the last 32 bits are the IPv4
		// address the gateway connects to. Judge that one; the local-use
		// prefix is never public.
		if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b {
			if [8]byte(b[4:12]) == [8]byte{} {
				return isPublic(netip.AddrFrom4([4]byte(b[12:])))
			}
			if b[4] == 0x00 && b[5] == 0x01 {
				return false
			}
		}
	}
	switch {
	case addr.IsLoopback(),
		addr.IsPrivate(),
		addr.IsLinkLocalUnicast(),
		addr.IsLinkLocalMulticast(),
		addr.IsInterfaceLocalMulticast(),
		addr.IsMulticast(),
		addr.IsUnspecified():
		return false
	}
	if addr.Is6() {
		b := addr.As16()
		return !(b[0] == 0xfe && b[1]&0xc0 == 0xc0) // fec0::/10, deprecated site-local
	}
	b := addr.As4()
	switch {
	case b[0] == 0: // 0.0.0.0/8, "this network"
		return false
	case b[0] == 100 && b[1]&0xc0 == 64: // 100.64.0.0/10, CGNAT (RFC 6598)
		return false
	case b[0] == 192 && b[1] == 0 && b[2] == 0: // 192.0.0.0/24, IETF protocol assignments
		return false
	case b[0] == 198 && b[1]&0xfe == 18: // 198.18.0.0/15, benchmarking
		return false
	case b[0] >= 240: // 240.0.0.0/4 reserved, and 255.255.255.255 broadcast
		return false
	}
	return true
}

// control is the net.Dialer ControlContext hook: it runs after name
// resolution, on the address actually being dialled, so a name that
// resolves (or re-resolves, DNS rebinding) to a private address is refused
// before any packet is sent to it.
func (c *Client) control(_ context.Context, network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %q", ErrForbiddenAddress, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: unparsable address %q", ErrForbiddenAddress, address)
	}
	if !c.allowed(ap) {
		return fmt.Errorf("%w: %s is not a public address", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}
