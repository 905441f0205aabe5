package deliver

import (
	"math/rand/v2"
	"time"
)

// Retry schedule. The delay before retry attempt n (n = 1 is the first retry)
// is
//
//	base(n) = min(BackoffFirst << (n-1), BackoffMaxStep)
//
// that is 1m, 2m, 4m, ... 512m (8h32m) for n = 1..10, then 12h, scaled by a
// random factor in [0.8, 1.2) and clamped to BackoffMaxStep. Without jitter
// the MaxAttempts = 15 retries add up to 1023m + 5×12h = 77h03m (3.2 days);
// with jitter the expected total is about 74h (3.1 days), and it always lies
// between 61h38m (2.57 days, every step 20% short) and 80h28m (3.35 days,
// every step 20% long but the 12h steps clamped).
const (
	BackoffFirst   = time.Minute
	BackoffMaxStep = 12 * time.Hour
	MaxAttempts    = 15 // retries after the first attempt before giving up
	// BackoffJitter is the relative spread of each step: ±20%.
	BackoffJitter = 0.2
)

// Backoff returns the delay before retry attempt n (n = 1 is the first retry),
// following the schedule above. jitter returns a number in [0, 1); nil means
// math/rand/v2.Float64, and a constant 0.5 gives the schedule without jitter.
// n < 1 is treated as 1; n beyond MaxAttempts keeps the 12h step (the caller
// decides when to give up).
func Backoff(attempt int, jitter func() float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	base := BackoffMaxStep
	if shift := attempt - 1; shift < 32 && BackoffFirst<<shift < BackoffMaxStep {
		base = BackoffFirst << shift
	}
	if jitter == nil {
		jitter = rand.Float64
	}
	j := min(max(jitter(), 0), 1)
	f := 1 + BackoffJitter*(2*j-1)
	return min(time.Duration(float64(base)*f), BackoffMaxStep)
}
