// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

// Command workerpool is the worker pool of Go by Example ("Worker Pools",
// https://gobyexample.com/worker-pools) with each worker in a process of
// its own. The jobs and results channels are cspchan channels; worker()
// is the article's function, with the channels' element types changed to
// messages.
//
//	workerpool [-jobs 5] [-workers 3] [-work 1s]
//
// The command creates the channels, starts itself once per worker with
// -worker ID, sends the jobs, shuts the jobs channel down (Go's close) and
// collects one result per job, as the article's main does.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strconv"
	"syscall"
	"time"

	"cspchan.dev/go/cspchan"
)

var (
	numJobs    = flag.Int("jobs", 5, "number of jobs")
	numWorkers = flag.Int("workers", 3, "number of worker processes")
	work       = flag.Duration("work", time.Second, "how long each job takes")

	workerID    = flag.Int("worker", 0, "run as worker `ID` (started by workerpool itself)")
	jobsName    = flag.String("jobs-chan", "", "name of the jobs channel (worker)")
	resultsName = flag.String("results-chan", "", "name of the results channel (worker)")
)

// worker is the article's worker: it ranges over jobs and sends a result
// for each.
func worker(id int, jobs <-chan cspchan.Message, results chan<- []byte) {
	for j := range jobs {
		n, _ := strconv.Atoi(string(j.Data))
		fmt.Println("worker", id, "started  job", n)
		time.Sleep(*work)
		fmt.Println("worker", id, "finished job", n)
		results <- []byte(strconv.Itoa(n * 2))
	}
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("workerpool: ")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *workerID > 0 {
		runWorker(ctx)
		return
	}

	// The channels, named for this run.
	prefix := fmt.Sprintf("workerpool.%d.", os.Getpid())
	jobs, err := cspchan.Create(prefix+"jobs", cspchan.Attr{Capacity: *numJobs, MsgSize: 32, Exclusive: true})
	if err != nil {
		log.Fatal(err)
	}
	defer cspchan.Unlink(jobs.Name())
	// Every worker sends results: AutoClose, so that closing a worker's
	// sink does not shut the channel down for the others.
	results, err := cspchan.Create(prefix+"results", cspchan.Attr{Capacity: *numJobs, MsgSize: 32, AutoClose: true, Exclusive: true})
	if err != nil {
		log.Fatal(err)
	}
	defer cspchan.Unlink(results.Name())

	// This starts up the workers, initially blocked because there are
	// no jobs yet.
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	var procs []*exec.Cmd
	for w := 1; w <= *numWorkers; w++ {
		cmd := exec.CommandContext(ctx, exe, "-worker", strconv.Itoa(w), "-work", work.String(),
			"-jobs-chan", jobs.Name(), "-results-chan", results.Name())
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			log.Fatal(err)
		}
		procs = append(procs, cmd)
	}

	// Here we send the jobs and then close that channel to indicate
	// that's all the work we have.
	out := jobs.Sink(ctx)
	for j := 1; j <= *numJobs; j++ {
		out <- []byte(strconv.Itoa(j))
	}
	close(out)

	// Finally we collect all the results of the work.
	msgs := results.Messages(ctx)
	var got []int
	pids := map[int]bool{}
	for a := 1; a <= *numJobs; a++ {
		m, ok := <-msgs
		if !ok {
			log.Fatalf("results ended after %d of %d: %v", a-1, *numJobs, results.Err())
		}
		n, _ := strconv.Atoi(string(m.Data))
		got = append(got, n)
		pids[m.PID] = true
	}
	for _, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			log.Fatal(err)
		}
	}
	sort.Ints(got)
	fmt.Printf("results %v from %d worker processes\n", got, len(pids))
}

// runWorker is one worker process: the article's worker over the named
// channels.
func runWorker(ctx context.Context) {
	jobs, err := cspchan.Open(*jobsName, os.O_RDONLY)
	if err != nil {
		log.Fatal(err)
	}
	results, err := cspchan.Open(*resultsName, os.O_WRONLY)
	if err != nil {
		log.Fatal(err)
	}
	sink := results.Sink(ctx)
	worker(*workerID, jobs.Messages(ctx), sink)
	close(sink)
	if err := results.Close(); err != nil { // waits until the sink is flushed
		log.Fatal(err)
	}
	if err := jobs.Err(); err != nil {
		log.Fatal(err)
	}
}
