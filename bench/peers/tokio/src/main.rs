// peers/tokio: actorlab's message workloads written on Tokio, the Tokio
// peer scripts/peers measures beside actorlab in the same run. Each keeps
// the shape and the self-check of actorlab's workload of the same name
// (bench/workloads/): an actor is a task reading its own unbounded mpsc
// channel (Tokio's actor idiom; unbounded like actorlab's mailboxes), a
// message a channel send; the runtime is multi_thread with `threads`
// workers.
//
//   peers-tokio --workload=fanout [--count=N] [--threads=2] [--actors=1000]
//
// Prints one JSON line: workload, count, ns_per_op (wall time of the timed
// part per unit of the workload), peak_rss_mib (VmHWM, as actorlab reports
// it), ok. Exit 1 when the self-check fails, 2
// on a bad flag.
use std::process::exit;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

type Outcome = (Duration, Option<String>);

fn main() {
    let mut workload = String::new();
    let (mut count, mut threads, mut actors) = (0u64, 2usize, 1000usize);
    for arg in std::env::args().skip(1) {
        let (key, value) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
        let number = value.parse::<u64>();
        match (key, number) {
            ("--workload", _) => workload = value.to_string(),
            ("--count", Ok(n)) => count = n,
            ("--threads", Ok(n)) if n >= 1 => threads = n as usize,
            ("--actors", Ok(n)) if n >= 2 => actors = n as usize,
            _ => usage(&format!("bad flag {arg}")),
        }
    }
    let default_count = match workload.as_str() {
        "pingpong" | "skynet" | "fanout" | "chameneos" => 1_000_000,
        "flood" | "ring" => 10_000_000,
        "big" => 2_000_000,
        _ => usage("--workload must be one of pingpong, flood, skynet, ring, fanout, chameneos, big"),
    };
    let n = if count == 0 { default_count } else { count };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).build().expect("runtime");
    let (elapsed, problem) = rt.block_on(async {
        match workload.as_str() {
            "pingpong" => pingpong(n).await,
            "flood" => flood(n).await,
            "skynet" => skynet(n).await,
            "ring" => ring(n).await,
            "fanout" => fanout(n).await,
            "chameneos" => chameneos(n, actors).await,
            _ => big(n, actors).await,
        }
    });
    let ns = elapsed.as_nanos() as f64 / n as f64;
    let error = problem.as_ref().map(|p| format!(",\"error\":\"{p}\"")).unwrap_or_default();
    println!(
        "{{\"peer\":\"tokio\",\"workload\":\"{workload}\",\"count\":{n},\"ns_per_op\":{ns},\"peak_rss_mib\":{},\"ok\":{}{error}}}",
        peak_rss_mib(),
        problem.is_none()
    );
    exit(if problem.is_none() { 0 } else { 1 });
}

// This process's peak resident set (VmHWM in /proc/self/status; unlike
// wait4's ru_maxrss it does not start at the forking parent's size).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn usage(problem: &str) -> ! {
    eprintln!("peers-tokio: {problem} (flags: --workload=W --count=N --threads=N>=1 --actors=N>=2)");
    exit(2)
}

fn check(ok: bool, problem: &str) -> Option<String> {
    if ok {
        None
    } else {
        Some(problem.to_string())
    }
}

// pingpong: two tasks pass one sequence number back and forth n times.
async fn pingpong(n: u64) -> Outcome {
    let (ping_tx, mut ping_rx) = unbounded_channel::<u64>();
    let (pong_tx, mut pong_rx) = unbounded_channel::<u64>();
    tokio::spawn(async move {
        while let Some(v) = ping_rx.recv().await {
            let _ = pong_tx.send(v);
        }
    });
    let start = Instant::now();
    let pinger = tokio::spawn(async move {
        for i in 0..n {
            let _ = ping_tx.send(i);
            if pong_rx.recv().await != Some(i) {
                return false;
            }
        }
        true
    });
    let ok = pinger.await.unwrap_or(false);
    (start.elapsed(), check(ok, "pingpong: a pong carried the wrong sequence number"))
}

// flood: one task streams n sequence numbers; the receiver checks them.
async fn flood(n: u64) -> Outcome {
    let (tx, mut rx) = unbounded_channel::<u64>();
    let start = Instant::now();
    let receiver = tokio::spawn(async move {
        for i in 0..n {
            if rx.recv().await != Some(i) {
                return false;
            }
        }
        true
    });
    tokio::spawn(async move {
        for i in 0..n {
            let _ = tx.send(i);
        }
    });
    let ok = receiver.await.unwrap_or(false);
    (start.elapsed(), check(ok, "flood: out of order"))
}

// skynet: each node spawns 10 children down to n leaves; sums of ordinals.
async fn skynet(n: u64) -> Outcome {
    let start = Instant::now();
    let (tx, mut rx) = unbounded_channel::<u64>();
    skynet_node(tx, 0, n);
    let sum = rx.recv().await.unwrap_or(0);
    (start.elapsed(), check(sum == n * (n - 1) / 2, "skynet: wrong sum"))
}

fn skynet_node(parent: UnboundedSender<u64>, first: u64, size: u64) {
    tokio::spawn(async move {
        if size == 1 {
            let _ = parent.send(first);
            return;
        }
        let (tx, mut rx) = unbounded_channel::<u64>();
        let step = size / 10;
        for i in 0..10 {
            skynet_node(tx.clone(), first + i * step, step);
        }
        let mut sum = 0;
        for _ in 0..10 {
            sum += rx.recv().await.unwrap_or(0);
        }
        let _ = parent.send(sum);
    });
}

// ring: 503 tasks pass a token n hops; the token ends at n mod 503.
async fn ring(n: u64) -> Outcome {
    const SIZE: usize = 503;
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..SIZE).map(|_| unbounded_channel::<u64>()).unzip();
    let (done_tx, mut done_rx) = unbounded_channel::<(usize, u64)>();
    let first = senders[0].clone();
    for (i, mut rx) in receivers.into_iter().enumerate() {
        let next = senders[(i + 1) % SIZE].clone();
        let done = done_tx.clone();
        tokio::spawn(async move {
            // The member the token ends at says so first; after the run's
            // end (u64::MAX) every member reports its hops.
            let mut hops = 0u64;
            while let Some(remaining) = rx.recv().await {
                if remaining == u64::MAX {
                    break;
                }
                hops += 1;
                if remaining == 0 {
                    let _ = done.send((i, 0));
                } else {
                    let _ = next.send(remaining - 1);
                }
            }
            let _ = done.send((i, hops));
        });
    }
    drop(done_tx);
    let start = Instant::now();
    let _ = first.send(n);
    let (last, _) = done_rx.recv().await.unwrap_or((usize::MAX, 0));
    let elapsed = start.elapsed();
    for s in &senders {
        let _ = s.send(u64::MAX);
    }
    let mut total = 0;
    while let Some((_, hops)) = done_rx.recv().await {
        total += hops;
    }
    (elapsed, check(last == (n % SIZE as u64) as usize && total == n + 1, "ring: wrong end or hop count"))
}

// fanout: one task sends n/1000 rounds, one message to each of 1000
// receivers per round; each checks its order and acks when complete.
async fn fanout(n: u64) -> Outcome {
    const WIDTH: usize = 1000;
    let per = n / WIDTH as u64;
    let (ack_tx, mut ack_rx) = unbounded_channel::<bool>();
    let mut receivers = Vec::with_capacity(WIDTH);
    for _ in 0..WIDTH {
        let (tx, mut rx) = unbounded_channel::<u64>();
        let ack = ack_tx.clone();
        tokio::spawn(async move {
            let mut ok = true;
            for i in 0..per {
                ok &= rx.recv().await == Some(i);
            }
            let _ = ack.send(ok);
        });
        receivers.push(tx);
    }
    let start = Instant::now();
    tokio::spawn(async move {
        for round in 0..per {
            for r in &receivers {
                let _ = r.send(round);
            }
        }
    });
    let mut ok = true;
    for _ in 0..WIDTH {
        ok &= ack_rx.recv().await.unwrap_or(false);
    }
    (start.elapsed(), check(ok, "fanout: a receiver saw its messages out of order"))
}

// chameneos: creatures (blue, red, yellow in turn) ask one broker to meet;
// the broker pairs two and tells each the other's colour; both take the
// complement. After n meetings the broker answers "faded" (None).
fn complement(a: u8, b: u8) -> u8 {
    if a == b {
        a
    } else {
        3 - a - b
    }
}

async fn chameneos(n: u64, creatures: usize) -> Outcome {
    let (broker_tx, mut broker_rx) = unbounded_channel::<(usize, u8)>();
    let (report_tx, mut report_rx) = unbounded_channel::<u64>();
    let start = Instant::now();
    let mut replies: Vec<UnboundedSender<Option<u8>>> = Vec::with_capacity(creatures);
    for i in 0..creatures {
        let (tx, mut rx) = unbounded_channel::<Option<u8>>();
        replies.push(tx);
        let broker = broker_tx.clone();
        let report = report_tx.clone();
        tokio::spawn(async move {
            let (mut colour, mut meetings) = ((i % 3) as u8, 0u64);
            loop {
                let _ = broker.send((i, colour));
                match rx.recv().await.flatten() {
                    Some(mate) => {
                        meetings += 1;
                        colour = complement(colour, mate);
                    }
                    None => break,
                }
            }
            let _ = report.send(meetings);
        });
    }
    let mut expected: Vec<u8> = (0..creatures).map(|i| (i % 3) as u8).collect();
    let (mut waiting, mut met, mut faded, mut rules_ok) = (None::<(usize, u8)>, 0u64, 0usize, true);
    while faded < creatures {
        let (who, colour) = match broker_rx.recv().await {
            Some(request) => request,
            None => break,
        };
        rules_ok &= colour == expected[who];
        if met == n {
            let _ = replies[who].send(None);
            faded += 1;
            continue;
        }
        match waiting.take() {
            None => waiting = Some((who, colour)),
            Some((other, other_colour)) => {
                rules_ok &= other != who;
                let _ = replies[other].send(Some(colour));
                let _ = replies[who].send(Some(other_colour));
                let next = complement(colour, other_colour);
                expected[who] = next;
                expected[other] = next;
                met += 1; // the pair that makes n leaves none waiting
            }
        }
    }
    let mut total = 0;
    for _ in 0..creatures {
        total += report_rx.recv().await.unwrap_or(0);
    }
    (start.elapsed(), check(rules_ok && total == 2 * n, "chameneos: colour rules or meeting count"))
}

// big: actors each ping random peers and wait for the pong, answering
// others' pings meanwhile, until each had n / (2 actors) pongs.
enum BigMessage {
    Ping(usize),
    Pong,
    Stop,
}

async fn big(n: u64, actors: usize) -> Outcome {
    let quota = n / (2 * actors as u64);
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..actors).map(|_| unbounded_channel::<BigMessage>()).unzip();
    let senders = Arc::new(senders);
    let (done_tx, mut done_rx) = unbounded_channel::<()>();
    let (tally_tx, mut tally_rx) = unbounded_channel::<(u64, u64, u64)>();
    let start = Instant::now();
    for (me, rx) in receivers.into_iter().enumerate() {
        let peers = senders.clone();
        let (done, tally) = (done_tx.clone(), tally_tx.clone());
        tokio::spawn(big_actor(me, quota, rx, peers, done, tally));
    }
    for _ in 0..actors {
        let _ = done_rx.recv().await;
    }
    let elapsed = start.elapsed();
    for s in senders.iter() {
        let _ = s.send(BigMessage::Stop);
    }
    let (mut sent_all, mut received_all, mut ok) = (0, 0, true);
    for _ in 0..actors {
        let (sent, received, pongs) = tally_rx.recv().await.unwrap_or((0, 0, u64::MAX));
        ok &= sent == quota && pongs == quota;
        sent_all += sent;
        received_all += received;
    }
    (elapsed, check(ok && sent_all == received_all, "big: pings, pongs and quotas differ"))
}

async fn big_actor(
    me: usize,
    quota: u64,
    mut rx: UnboundedReceiver<BigMessage>,
    peers: Arc<Vec<UnboundedSender<BigMessage>>>,
    done: UnboundedSender<()>,
    tally: UnboundedSender<(u64, u64, u64)>,
) {
    let mut seed = (me as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut ping = |sent: &mut u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut peer = (seed % (peers.len() as u64 - 1)) as usize;
        if peer >= me {
            peer += 1;
        }
        *sent += 1;
        let _ = peers[peer].send(BigMessage::Ping(me));
    };
    let (mut sent, mut received, mut pongs) = (0u64, 0u64, 0u64);
    if quota == 0 {
        let _ = done.send(());
    } else {
        ping(&mut sent);
    }
    while let Some(message) = rx.recv().await {
        match message {
            BigMessage::Ping(from) => {
                received += 1;
                let _ = peers[from].send(BigMessage::Pong);
            }
            BigMessage::Pong => {
                pongs += 1;
                if pongs == quota {
                    let _ = done.send(());
                } else {
                    ping(&mut sent);
                }
            }
            BigMessage::Stop => break,
        }
    }
    let _ = tally.send((sent, received, pongs));
}
