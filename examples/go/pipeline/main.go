// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT

// Command pipeline is the squaring pipeline of "Go Concurrency Patterns:
// Pipelines and cancellation" (https://go.dev/blog/pipelines) with each
// stage in a process of its own: gen in one, sq in two (fan-out: both
// read gen's channel), and merge (fan-in) in the command itself. The
// stages are the article's functions; a stage's output is a Sink, its
// input the Messages of a channel, and like the article's channels these
// are unbuffered: every send meets its receive.
//
//	pipeline [N...]        (default: 2 3, which prints 4 and 9 in either order)
//
// Each stage process is the command itself, started with -stage.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"

	"cspchan.dev/go/cspchan"
)

var (
	stage   = flag.String("stage", "", "run as `STAGE` (gen or sq; started by pipeline itself)")
	inName  = flag.String("in", "", "name of the stage's input channel")
	outName = flag.String("out", "", "name of the stage's output channel")
)

// gen sends the numbers on out and closes it, as the article's gen does
// with the channel it returns.
func gen(out chan<- []byte, nums ...int) {
	for _, n := range nums {
		out <- []byte(strconv.Itoa(n))
	}
	close(out)
}

// sq squares what it receives until its input is closed.
func sq(in <-chan cspchan.Message, out chan<- []byte) {
	for m := range in {
		n, _ := strconv.Atoi(string(m.Data))
		out <- []byte(strconv.Itoa(n * n))
	}
	close(out)
}

// merge is the article's fan-in: one goroutine per input, and out closed
// when they are all done.
func merge(cs ...<-chan cspchan.Message) <-chan int {
	var wg sync.WaitGroup
	out := make(chan int)

	// Start an output goroutine for each input channel in cs. output
	// copies values from c to out until c is closed, then calls
	// wg.Done.
	output := func(c <-chan cspchan.Message) {
		for m := range c {
			n, _ := strconv.Atoi(string(m.Data))
			out <- n
		}
		wg.Done()
	}
	wg.Add(len(cs))
	for _, c := range cs {
		go output(c)
	}

	// Start a goroutine to close out once all the output goroutines
	// are done. This must start after the wg.Add call.
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("pipeline: ")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *stage != "" {
		runStage(ctx)
		return
	}

	nums := []string{"2", "3"}
	if flag.NArg() > 0 {
		nums = flag.Args()
	}
	// gen's output, and one output per sq: unbuffered, as in the article.
	prefix := fmt.Sprintf("pipeline.%d.", os.Getpid())
	in := create(prefix + "gen")
	defer cspchan.Unlink(in.Name())
	c1, c2 := create(prefix+"sq1"), create(prefix+"sq2")
	defer cspchan.Unlink(c1.Name())
	defer cspchan.Unlink(c2.Name())

	// Set up the pipeline: gen, then two sq stages reading from it.
	procs := []*exec.Cmd{
		start(ctx, append([]string{"-stage", "gen", "-out", in.Name()}, nums...)...),
		start(ctx, "-stage", "sq", "-in", in.Name(), "-out", c1.Name()),
		start(ctx, "-stage", "sq", "-in", in.Name(), "-out", c2.Name()),
	}

	// Consume the merged output from c1 and c2.
	for n := range merge(c1.Messages(ctx), c2.Messages(ctx)) {
		fmt.Println(n)
	}
	for _, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			log.Fatal(err)
		}
	}
}

func create(name string) *cspchan.Chan {
	c, err := cspchan.Create(name, cspchan.Attr{Capacity: 0, MsgSize: 32, Exclusive: true})
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// start runs a stage: this command again, with args.
func start(ctx context.Context, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	return cmd
}

// runStage is one stage process.
func runStage(ctx context.Context) {
	out, err := cspchan.Open(*outName, os.O_WRONLY)
	if err != nil {
		log.Fatal(err)
	}
	sink := out.Sink(ctx) // closing it shuts the output channel down
	switch *stage {
	case "gen":
		var nums []int
		for _, a := range flag.Args() {
			n, err := strconv.Atoi(a)
			if err != nil {
				log.Fatal(err)
			}
			nums = append(nums, n)
		}
		gen(sink, nums...)
	case "sq":
		in, err := cspchan.Open(*inName, os.O_RDONLY)
		if err != nil {
			log.Fatal(err)
		}
		sq(in.Messages(ctx), sink)
		if err := in.Err(); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown stage %q", *stage)
	}
	if err := out.Close(); err != nil { // waits until the sink is flushed
		log.Fatal(err)
	}
}
