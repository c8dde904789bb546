// peers/go: actorlab's message workloads written as plain Go (goroutines
// and channels, no library), the Go peer scripts/peers measures beside
// actorlab in the same run. Each workload keeps the shape and the
// self-check of actorlab's workload of the same name (bench/workloads/):
// an actor is a goroutine reading its own channel, a message a channel
// send. Go channels are bounded, so each mailbox gets a buffer large enough
// that the workload's own protocol cannot fill it (big, chameneos, ring,
// pingpong), or a fixed one that turns a stream into backpressure (flood,
// fanout: mailboxCap), the idiom a Go programmer would use.
//
//	peers-go -workload=fanout -count=1000000 -threads=2 [-actors=1000]
//
// Prints one JSON line: workload, count, ns_per_op (wall time of the
// timed part per unit of the workload), peak_rss_mib (VmHWM, as actorlab
// reports it), ok. Exit 1 when the self-check
// fails, 2 on a bad flag.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// mailboxCap: the buffer of a streamed-to channel (flood, fanout receivers).
const mailboxCap = 1024

type result struct {
	Peer     string  `json:"peer"`
	Workload string  `json:"workload"`
	Count    uint64  `json:"count"`
	NsPerOp  float64 `json:"ns_per_op"`
	PeakRss  float64 `json:"peak_rss_mib"`
	Ok       bool    `json:"ok"`
	Error    string  `json:"error,omitempty"`
}

func main() {
	workload := flag.String("workload", "", "pingpong|flood|skynet|ring|fanout|chameneos|big")
	count := flag.Uint64("count", 0, "the workload's unit count (0: actorlab's default)")
	threads := flag.Int("threads", 2, "GOMAXPROCS")
	actors := flag.Int("actors", 1000, "big: actors; chameneos: creatures")
	flag.Parse()
	runs := map[string]struct {
		def uint64
		run func(n uint64, actors int) (time.Duration, string)
	}{
		"pingpong": {1000000, pingpong}, "flood": {10000000, flood}, "skynet": {1000000, skynet},
		"ring": {10000000, ring}, "fanout": {1000000, fanout}, "chameneos": {1000000, chameneos},
		"big": {2000000, big},
	}
	w, known := runs[*workload]
	if !known || *threads < 1 || *actors < 2 {
		fmt.Fprintf(os.Stderr, "peers-go: --workload must be one of pingpong, flood, skynet, ring, fanout, chameneos, big; --threads >= 1; --actors >= 2\n")
		os.Exit(2)
	}
	n := *count
	if n == 0 {
		n = w.def
	}
	runtime.GOMAXPROCS(*threads)
	elapsed, problem := w.run(n, *actors)
	r := result{"go", *workload, n, float64(elapsed.Nanoseconds()) / float64(n), peakRssMiB(), problem == "", problem}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	if problem != "" {
		os.Exit(1)
	}
}

// peakRssMiB: this process's peak resident set (VmHWM in /proc/self/status;
// unlike wait4's ru_maxrss it does not start at the forking parent's size).
func peakRssMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if fields := strings.Fields(lines.Text()); len(fields) >= 2 && fields[0] == "VmHWM:" {
			kib, _ := strconv.ParseFloat(fields[1], 64)
			return kib / 1024
		}
	}
	return 0
}

// pingpong: two goroutines pass one sequence number back and forth n times.
func pingpong(n uint64, _ int) (time.Duration, string) {
	ping, pong := make(chan uint64, 1), make(chan uint64, 1)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	start := time.Now()
	for i := uint64(0); i < n; i++ {
		ping <- i
		if <-pong != i {
			return 0, "pingpong: a pong carried the wrong sequence number"
		}
	}
	elapsed := time.Since(start)
	close(ping)
	return elapsed, ""
}

// flood: one sender streams n sequence numbers; the receiver checks them.
func flood(n uint64, _ int) (time.Duration, string) {
	mailbox := make(chan uint64, mailboxCap)
	done := make(chan string)
	go func() {
		for i := uint64(0); i < n; i++ {
			if <-mailbox != i {
				done <- "flood: out of order"
				return
			}
		}
		done <- ""
	}()
	start := time.Now()
	for i := uint64(0); i < n; i++ {
		mailbox <- i
	}
	problem := <-done
	return time.Since(start), problem
}

// skynet: each node spawns 10 children down to n leaves; sums of ordinals.
func skynet(n uint64, _ int) (time.Duration, string) {
	start := time.Now()
	result := make(chan uint64, 1)
	go skynetNode(result, 0, n)
	sum := <-result
	elapsed := time.Since(start)
	if sum != n*(n-1)/2 {
		return elapsed, fmt.Sprintf("skynet: sum %d, expected %d", sum, n*(n-1)/2)
	}
	return elapsed, ""
}

func skynetNode(parent chan<- uint64, first, size uint64) {
	if size == 1 {
		parent <- first
		return
	}
	children := make(chan uint64, 10)
	step := size / 10
	for i := uint64(0); i < 10; i++ {
		go skynetNode(children, first+i*step, step)
	}
	var sum uint64
	for i := 0; i < 10; i++ {
		sum += <-children
	}
	parent <- sum
}

// ring: 503 goroutines pass a token n hops; the token ends at n mod 503.
func ring(n uint64, _ int) (time.Duration, string) {
	const size = 503
	links := make([]chan uint64, size)
	for i := range links {
		links[i] = make(chan uint64, 1)
	}
	hops := make([]uint64, size)
	finished := make(chan int)
	for i := 0; i < size; i++ {
		go func(i int) {
			next := links[(i+1)%size]
			for remaining := range links[i] {
				hops[i]++
				if remaining == 0 {
					finished <- i
					return
				}
				next <- remaining - 1
			}
		}(i)
	}
	start := time.Now()
	links[0] <- n
	last := <-finished
	elapsed := time.Since(start)
	for i := range links {
		close(links[i])
	}
	var total uint64
	for _, h := range hops {
		total += h
	}
	if uint64(last) != n%size || total != n+1 {
		return elapsed, "ring: the token ended at the wrong member"
	}
	return elapsed, ""
}

// fanout: one goroutine sends n/1000 rounds, one message to each of 1000
// receivers per round; each checks its order and acks when complete.
func fanout(n uint64, _ int) (time.Duration, string) {
	const width = 1000
	per := n / width
	acks := make(chan bool, width)
	receivers := make([]chan uint64, width)
	for i := range receivers {
		receivers[i] = make(chan uint64, mailboxCap)
		go func(mailbox chan uint64) {
			ok := true
			for i := uint64(0); i < per; i++ {
				ok = ok && <-mailbox == i
			}
			acks <- ok
		}(receivers[i])
	}
	start := time.Now()
	for round := uint64(0); round < per; round++ {
		for _, r := range receivers {
			r <- round
		}
	}
	problem := ""
	for i := 0; i < width; i++ {
		if !<-acks {
			problem = "fanout: a receiver saw its messages out of order"
		}
	}
	return time.Since(start), problem
}

// chameneos: creatures (blue, red, yellow in turn) ask one broker to meet;
// the broker pairs two and tells each the other's colour; both take the
// complement. After n meetings the broker answers "faded".
type request struct {
	creature int
	colour   int
}

func complement(a, b int) int {
	if a == b {
		return a
	}
	return 3 - a - b
}

func chameneos(n uint64, creatures int) (time.Duration, string) {
	broker := make(chan request, creatures)
	replies := make([]chan request, creatures) // the partner, or creature -1: faded
	reports := make(chan int, creatures)
	for i := range replies {
		replies[i] = make(chan request, 1)
	}
	start := time.Now()
	for i := 0; i < creatures; i++ {
		go func(self int) {
			colour, meetings := self%3, 0
			for {
				broker <- request{self, colour}
				mate := <-replies[self]
				if mate.creature < 0 {
					reports <- meetings
					return
				}
				meetings++
				colour = complement(colour, mate.colour)
			}
		}(i)
	}
	expected := make([]int, creatures)
	for i := range expected {
		expected[i] = i % 3
	}
	problem := ""
	waiting, met, faded := -1, uint64(0), 0
	var waitingColour int
	for faded < creatures {
		r := <-broker
		if r.colour != expected[r.creature] {
			problem = "chameneos: a creature broke the colour rules"
		}
		if met == n {
			replies[r.creature] <- request{-1, 0}
			faded++
			continue
		}
		if waiting < 0 {
			waiting, waitingColour = r.creature, r.colour
			continue
		}
		if waiting == r.creature {
			problem = "chameneos: a creature met itself"
		}
		replies[waiting] <- request{r.creature, r.colour}
		replies[r.creature] <- request{waiting, waitingColour}
		next := complement(waitingColour, r.colour)
		expected[waiting], expected[r.creature] = next, next
		waiting = -1
		met++ // the pair that makes n leaves none waiting: the rest fade as they ask
	}
	total := 0
	for i := 0; i < creatures; i++ {
		total += <-reports
	}
	elapsed := time.Since(start)
	if uint64(total) != 2*n {
		problem = fmt.Sprintf("chameneos: meetings add up to %d, expected %d", total, 2*n)
	}
	return elapsed, problem
}

// big: actors each ping random peers and wait for the pong, answering
// others' pings meanwhile, until each had n / (2 actors) pongs.
type bigMessage struct {
	pong bool
	from int32
}

func big(n uint64, actors int) (time.Duration, string) {
	quota := n / (2 * uint64(actors))
	// At most one ping per other actor and one pong wait in a mailbox.
	mailboxes := make([]chan bigMessage, actors)
	for i := range mailboxes {
		mailboxes[i] = make(chan bigMessage, actors+1)
	}
	var quotaDone, stopped sync.WaitGroup
	quotaDone.Add(actors)
	stopped.Add(actors)
	stop := make(chan struct{})
	sent := make([]uint64, actors)
	received := make([]uint64, actors)
	pongs := make([]uint64, actors)
	start := time.Now()
	for i := 0; i < actors; i++ {
		go func(self int) {
			defer stopped.Done()
			rng := rand.New(rand.NewSource(int64(self) + 1))
			ping := func() {
				peer := rng.Intn(actors - 1)
				if peer >= self {
					peer++
				}
				sent[self]++
				mailboxes[peer] <- bigMessage{false, int32(self)}
			}
			if quota == 0 {
				quotaDone.Done()
			} else {
				ping()
			}
			for {
				select {
				case m := <-mailboxes[self]:
					if !m.pong {
						received[self]++
						mailboxes[m.from] <- bigMessage{true, int32(self)}
						continue
					}
					pongs[self]++
					if pongs[self] == quota {
						quotaDone.Done()
					} else {
						ping()
					}
				case <-stop:
					return
				}
			}
		}(i)
	}
	quotaDone.Wait()
	elapsed := time.Since(start)
	close(stop)
	stopped.Wait()
	var allSent, allReceived uint64
	for i := 0; i < actors; i++ {
		if pongs[i] != quota || sent[i] != quota {
			return elapsed, "big: an actor's pongs or pings differ from its quota"
		}
		allSent += sent[i]
		allReceived += received[i]
	}
	if allSent != allReceived {
		return elapsed, "big: pings received differ from pings sent"
	}
	return elapsed, ""
}
