// grpc_bench - the gRPC peer of the "RPC vs gRPC" benchmark (issue 8).
//
// One binary, two modes:
//   grpc_bench server [--api async|callback|sync] [--addr 127.0.0.1:0] [--threads N]
//       Serves pxbench.Echo (echo.proto) with insecure credentials, prints
//       "PORT <n>" on stdout once listening, and runs until SIGTERM/SIGINT.
//   grpc_bench client --target 127.0.0.1:PORT [--api sync|async|callback]
//       [--lat-api sync|async|callback] [--payload 300] [--warmup 2000]
//       [--calls 20000] [--callers 64] [--channels 8] [--threads 2]
//       [--seconds 5] [--server-api A --server-threads N]
//       Measures the 1-caller round trip (median, p99) then the throughput of
//       --callers concurrent calls for --seconds, and prints one JSON line.
//
// The configuration aims at gRPC's best on loopback, so the baseline is not
// a straw man: minimal channel stack (no census/deadline filters beyond the
// essential), no compression (the default), one TCP connection per channel
// (local subchannel pool) with the callers spread over several channels, no
// retries, no BDP pings. Every API is selectable on both sides; run.sh tries
// the three configurations found best with run.sh --explore (async client
// against a callback, an async or a sync server) and keeps the best figure.
//
// gRPC runs in plaintext here while Praxis encrypts and authenticates every
// call (crypto_box); the results say so.

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <string>
#include <thread>
#include <vector>

#include "echo.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
using pxbench::EchoReply;
using pxbench::EchoRequest;

[[noreturn]] void die(const char *fmt, const char *arg)
{
	std::fprintf(stderr, "grpc_bench: ");
	std::fprintf(stderr, fmt, arg);
	std::fprintf(stderr, "\n");
	std::exit(2);
}

// ---- command line ----

struct Opts {
	std::string api = "async";
	std::string lat_api;       // empty: same as api
	std::string addr = "127.0.0.1:0";
	std::string target;
	int threads = 2;           // server: completion-queue threads; client: async pollers
	size_t payload = 300;
	int warmup = 2000;
	int calls = 20000;
	int callers = 64;
	int channels = 8;
	double seconds = 5.0;
	// Client: what the server was started with, only echoed in the results.
	std::string server_api = "?";
	int server_threads = 0;
};

long parse_long(const char *s, const char *what)
{
	char *end = nullptr;
	long v = std::strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < 0)
		die("valeur invalide / invalid value for %s", what);
	return v;
}

Opts parse(int argc, char **argv, int first)
{
	Opts o;
	for (int i = first; i < argc; i++) {
		std::string a = argv[i];
		if (i + 1 >= argc)
			die("option sans valeur / option without a value: %s", a.c_str());
		const char *v = argv[++i];
		if (a == "--api") o.api = v;
		else if (a == "--lat-api") o.lat_api = v;
		else if (a == "--addr") o.addr = v;
		else if (a == "--target") o.target = v;
		else if (a == "--threads") o.threads = (int)parse_long(v, "--threads");
		else if (a == "--payload") o.payload = (size_t)parse_long(v, "--payload");
		else if (a == "--warmup") o.warmup = (int)parse_long(v, "--warmup");
		else if (a == "--calls") o.calls = (int)parse_long(v, "--calls");
		else if (a == "--callers") o.callers = (int)parse_long(v, "--callers");
		else if (a == "--channels") o.channels = (int)parse_long(v, "--channels");
		else if (a == "--seconds") o.seconds = std::atof(v);
		else if (a == "--server-api") o.server_api = v;
		else if (a == "--server-threads") o.server_threads = (int)parse_long(v, "--server-threads");
		else die("option inconnue / unknown option: %s", a.c_str());
	}
	if (o.lat_api.empty())
		o.lat_api = o.api;
	for (const std::string *api : {&o.api, &o.lat_api})
		if (*api != "sync" && *api != "async" && *api != "callback")
			die("--api: sync, async ou/or callback, pas/not %s", api->c_str());
	if (o.threads < 1) o.threads = 1;
	if (o.channels < 1) o.channels = 1;
	if (o.callers < 1) o.callers = 1;
	return o;
}

// ---- server ----

// Sync API: gRPC's own thread pool runs the handler.
class SyncEcho final : public pxbench::Echo::Service {
	grpc::Status Echo(grpc::ServerContext *, const EchoRequest *req, EchoReply *rep) override
	{
		rep->set_payload(req->payload());
		return grpc::Status::OK;
	}
};

// Callback API: the handler runs on gRPC's event-engine threads.
class CallbackEcho final : public pxbench::Echo::CallbackService {
	grpc::ServerUnaryReactor *Echo(grpc::CallbackServerContext *ctx, const EchoRequest *req,
	                               EchoReply *rep) override
	{
		rep->set_payload(req->payload());
		grpc::ServerUnaryReactor *r = ctx->DefaultReactor();
		r->Finish(grpc::Status::OK);
		return r;
	}
};

// Async API: one completion queue per thread, each with calls pre-requested
// so that a burst of 64 callers never waits for a request slot.
class AsyncCall {
public:
	AsyncCall(pxbench::Echo::AsyncService *svc, grpc::ServerCompletionQueue *cq)
		: svc_(svc), cq_(cq), writer_(&ctx_)
	{
		svc_->RequestEcho(&ctx_, &req_, &writer_, cq_, cq_, this);
	}
	// Called when the tag completes; returns false once the call is over.
	void proceed(bool ok)
	{
		if (!finishing_ && ok) {
			new AsyncCall(svc_, cq_); // keep the slot count constant
			rep_.set_payload(req_.payload());
			finishing_ = true;
			writer_.Finish(rep_, grpc::Status::OK, this);
			return;
		}
		delete this;
	}

private:
	pxbench::Echo::AsyncService *svc_;
	grpc::ServerCompletionQueue *cq_;
	grpc::ServerContext ctx_;
	EchoRequest req_;
	EchoReply rep_;
	grpc::ServerAsyncResponseWriter<EchoReply> writer_;
	bool finishing_ = false;
};

int run_server(const Opts &o)
{
	// SIGTERM/SIGINT are taken by a thread of ours (sigwait), so they must be
	// blocked before gRPC starts any thread.
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

	SyncEcho sync_svc;
	CallbackEcho cb_svc;
	pxbench::Echo::AsyncService async_svc;

	grpc::ServerBuilder b;
	int port = 0;
	b.AddListeningPort(o.addr, grpc::InsecureServerCredentials(), &port);
	b.AddChannelArgument(GRPC_ARG_MINIMAL_STACK, 1);
	b.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
	std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> cqs;
	if (o.api == "sync") {
		b.RegisterService(&sync_svc);
		b.SetSyncServerOption(grpc::ServerBuilder::NUM_CQS, o.threads);
	} else if (o.api == "callback") {
		b.RegisterService(&cb_svc);
	} else {
		b.RegisterService(&async_svc);
		for (int i = 0; i < o.threads; i++)
			cqs.push_back(b.AddCompletionQueue());
	}
	std::unique_ptr<grpc::Server> server = b.BuildAndStart();
	if (!server || port == 0)
		die("impossible d'écouter sur / cannot listen on %s", o.addr.c_str());
	std::printf("PORT %d\n", port);
	std::fflush(stdout);

	std::vector<std::thread> pollers;
	for (auto &cq : cqs) {
		grpc::ServerCompletionQueue *q = cq.get();
		pollers.emplace_back([&async_svc, q] {
			for (int i = 0; i < 256; i++)
				new AsyncCall(&async_svc, q);
			void *tag;
			bool ok;
			while (q->Next(&tag, &ok))
				static_cast<AsyncCall *>(tag)->proceed(ok);
		});
	}

	int sig = 0;
	sigwait(&sigs, &sig);
	server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
	for (auto &cq : cqs)
		cq->Shutdown();
	for (auto &t : pollers)
		t.join();
	return 0;
}

// ---- client ----

struct Conn {
	std::shared_ptr<grpc::Channel> ch;
	std::unique_ptr<pxbench::Echo::Stub> stub;
};

std::vector<Conn> connect_all(const Opts &o)
{
	std::vector<Conn> conns;
	for (int i = 0; i < o.channels; i++) {
		grpc::ChannelArguments args;
		// Own TCP connection per channel rather than one shared subchannel.
		args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
		args.SetInt(GRPC_ARG_MINIMAL_STACK, 1);
		args.SetInt("pxbench.channel", i); // distinct args: distinct channel
		// No retry bookkeeping and no BDP pings: nothing to retry or to
		// tune on loopback, and both cost time on every call.
		args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
		args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
		args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
		args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
		Conn c;
		c.ch = grpc::CreateCustomChannel(o.target, grpc::InsecureChannelCredentials(), args);
		if (!c.ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5)))
			die("connexion impossible à / cannot connect to %s", o.target.c_str());
		c.stub = pxbench::Echo::NewStub(c.ch);
		conns.push_back(std::move(c));
	}
	return conns;
}

void check(const grpc::Status &st, const EchoReply &rep, size_t payload)
{
	if (!st.ok())
		die("appel échoué / call failed: %s", st.error_message().c_str());
	if (rep.payload().size() != payload)
		die("écho de taille inattendue / echo of unexpected size%s", "");
}

double now_s()
{
	return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

// One call by the chosen API, waited for; used for the 1-caller latency.
class OneCaller {
public:
	OneCaller(const Opts &o, pxbench::Echo::Stub *stub, const EchoRequest &req)
		: o_(o), stub_(stub), req_(req) {}
	void call()
	{
		EchoReply rep;
		grpc::ClientContext ctx;
		grpc::Status st;
		if (o_.lat_api == "sync") {
			st = stub_->Echo(&ctx, req_, &rep);
		} else if (o_.lat_api == "async") {
			auto rpc = stub_->AsyncEcho(&ctx, req_, &cq_);
			rpc->Finish(&rep, &st, (void *)1);
			void *tag;
			bool ok;
			if (!cq_.Next(&tag, &ok) || !ok)
				die("file d'achèvement fermée / completion queue closed%s", "");
		} else {
			std::mutex mu;
			std::condition_variable cv;
			bool done = false;
			stub_->async()->Echo(&ctx, &req_, &rep, [&](grpc::Status s) {
				std::lock_guard<std::mutex> lk(mu);
				st = std::move(s);
				done = true;
				cv.notify_one();
			});
			std::unique_lock<std::mutex> lk(mu);
			cv.wait(lk, [&] { return done; });
		}
		check(st, rep, o_.payload);
	}
	~OneCaller()
	{
		cq_.Shutdown();
		void *tag;
		bool ok;
		while (cq_.Next(&tag, &ok)) {
		}
	}

private:
	const Opts &o_;
	pxbench::Echo::Stub *stub_;
	const EchoRequest &req_;
	grpc::CompletionQueue cq_;
};

// Throughput state shared by every API: calls completed, and the stop flag.
struct Tput {
	std::atomic<long> done{0};
	std::atomic<bool> stop{false};
};

void tput_sync(const Opts &o, std::vector<Conn> &conns, const EchoRequest &req, Tput &t)
{
	std::vector<std::thread> th;
	for (int i = 0; i < o.callers; i++) {
		pxbench::Echo::Stub *stub = conns[i % conns.size()].stub.get();
		th.emplace_back([&o, &req, &t, stub] {
			while (!t.stop.load(std::memory_order_relaxed)) {
				EchoReply rep;
				grpc::ClientContext ctx;
				grpc::Status st = stub->Echo(&ctx, req, &rep);
				check(st, rep, o.payload);
				t.done.fetch_add(1, std::memory_order_relaxed);
			}
		});
	}
	std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds + 0.5));
	t.stop = true;
	for (auto &x : th)
		x.join();
}

// Async client: each caller is a slot that starts its next call as soon as
// the previous one completes; --threads threads poll one queue each.
struct Slot {
	pxbench::Echo::Stub *stub;
	grpc::CompletionQueue *cq;
	std::unique_ptr<grpc::ClientContext> ctx;
	std::unique_ptr<grpc::ClientAsyncResponseReader<EchoReply>> rpc;
	EchoReply rep;
	grpc::Status st;
	void start(const EchoRequest &req)
	{
		ctx = std::make_unique<grpc::ClientContext>();
		rep.Clear();
		rpc = stub->AsyncEcho(ctx.get(), req, cq);
		rpc->Finish(&rep, &st, this);
	}
};

void tput_async(const Opts &o, std::vector<Conn> &conns, const EchoRequest &req, Tput &t)
{
	int nq = std::min(o.threads, o.callers);
	std::vector<std::unique_ptr<grpc::CompletionQueue>> cqs;
	for (int i = 0; i < nq; i++)
		cqs.push_back(std::make_unique<grpc::CompletionQueue>());
	std::vector<Slot> slots((size_t)o.callers);
	std::vector<int> per_q((size_t)nq, 0);
	for (int i = 0; i < o.callers; i++) {
		slots[(size_t)i].stub = conns[(size_t)i % conns.size()].stub.get();
		slots[(size_t)i].cq = cqs[(size_t)(i % nq)].get();
		per_q[(size_t)(i % nq)]++;
	}
	for (auto &s : slots)
		s.start(req);
	std::vector<std::thread> th;
	for (int q = 0; q < nq; q++) {
		grpc::CompletionQueue *cq = cqs[(size_t)q].get();
		int live = per_q[(size_t)q];
		th.emplace_back([&o, &req, &t, cq, live]() mutable {
			void *tag;
			bool ok;
			while (live > 0 && cq->Next(&tag, &ok)) {
				Slot *s = static_cast<Slot *>(tag);
				check(s->st, s->rep, o.payload);
				t.done.fetch_add(1, std::memory_order_relaxed);
				if (t.stop.load(std::memory_order_relaxed))
					live--;
				else
					s->start(req);
			}
		});
	}
	std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds + 0.5));
	t.stop = true;
	for (auto &x : th)
		x.join();
	for (auto &cq : cqs) {
		cq->Shutdown();
		void *tag;
		bool ok;
		while (cq->Next(&tag, &ok)) {
		}
	}
}

// Callback client: the completion callback starts the caller's next call.
struct CbSlot {
	pxbench::Echo::Stub *stub;
	const Opts *o;
	const EchoRequest *req;
	Tput *t;
	std::mutex *mu;
	std::condition_variable *cv;
	int *live;
	// Two contexts used in turn: the next call starts from inside the
	// previous one's callback, so that context must outlive its callback.
	std::unique_ptr<grpc::ClientContext> ctx[2];
	EchoReply rep[2];
	int cur = 0;
	void start()
	{
		cur ^= 1;
		int k = cur;
		ctx[k] = std::make_unique<grpc::ClientContext>();
		rep[k].Clear();
		stub->async()->Echo(ctx[k].get(), req, &rep[k], [this, k](grpc::Status st) {
			check(st, rep[k], o->payload);
			t->done.fetch_add(1, std::memory_order_relaxed);
			if (!t->stop.load(std::memory_order_relaxed)) {
				start();
				return;
			}
			std::lock_guard<std::mutex> lk(*mu);
			if (--*live == 0)
				cv->notify_one();
		});
	}
};

void tput_callback(const Opts &o, std::vector<Conn> &conns, const EchoRequest &req, Tput &t)
{
	std::mutex mu;
	std::condition_variable cv;
	int live = o.callers;
	std::vector<CbSlot> slots((size_t)o.callers);
	for (int i = 0; i < o.callers; i++)
	{
		CbSlot &s = slots[(size_t)i];
		s.stub = conns[(size_t)i % conns.size()].stub.get();
		s.o = &o;
		s.req = &req;
		s.t = &t;
		s.mu = &mu;
		s.cv = &cv;
		s.live = &live;
	}
	for (auto &s : slots)
		s.start();
	std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds + 0.5));
	t.stop = true;
	std::unique_lock<std::mutex> lk(mu);
	cv.wait(lk, [&] { return live == 0; });
}

int run_client(const Opts &o)
{
	if (o.target.empty())
		die("--target manquant / missing --target%s", "");
	std::vector<Conn> conns = connect_all(o);
	EchoRequest req;
	std::string payload(o.payload, '\0');
	for (size_t i = 0; i < payload.size(); i++)
		payload[i] = (char)(i * 131u + 7u);
	req.set_payload(payload);

	// 1 caller: warm-up, then every call timed on its own.
	std::vector<double> lat;
	lat.reserve((size_t)o.calls);
	if (o.calls > 0) {
		OneCaller one(o, conns[0].stub.get(), req);
		for (int i = 0; i < o.warmup; i++)
			one.call();
		for (int i = 0; i < o.calls; i++) {
			Clock::time_point t0 = Clock::now();
			one.call();
			lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
		}
	}
	// Same order statistics as bench.c: median of an even count is the mean
	// of the two middle values; p99 is the nearest rank. --calls 0: no
	// latency figure (0 in the output).
	std::sort(lat.begin(), lat.end());
	size_t n = lat.size();
	double median = 0, p99 = 0;
	if (n > 0) {
		median = n % 2 ? lat[n / 2] : (lat[n / 2 - 1] + lat[n / 2]) / 2;
		size_t rank = (size_t)std::ceil(0.99 * (double)n);
		p99 = lat[std::min(n, std::max<size_t>(rank, 1)) - 1];
	}

	// Throughput: the first half second warms up and is not counted.
	// --seconds 0: no throughput figure (0 in the output).
	long c0 = 0, c1 = 0;
	double t0 = 0, t1 = 0, rate = 0;
	if (o.seconds > 0) {
		Tput t;
		std::thread meter([&] {
			std::this_thread::sleep_for(std::chrono::milliseconds(500));
			t0 = now_s();
			c0 = t.done.load();
			std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
			t1 = now_s();
			c1 = t.done.load();
		});
		if (o.api == "sync")
			tput_sync(o, conns, req, t);
		else if (o.api == "async")
			tput_async(o, conns, req, t);
		else
			tput_callback(o, conns, req, t);
		meter.join();
		rate = (double)(c1 - c0) / (t1 - t0);
	}

	std::printf("{\"impl\":\"grpc\",\"grpc_version\":\"%s\",\"server_api\":\"%s\","
	            "\"server_threads\":%d,\"api\":\"%s\",\"lat_api\":\"%s\","
	            "\"payload\":%zu,\"channels\":%d,\"threads\":%d,"
	            "\"lat_calls\":%d,\"lat_median_us\":%.2f,\"lat_p99_us\":%.2f,"
	            "\"tput_callers\":%d,\"tput_seconds\":%.3f,\"tput_calls\":%ld,"
	            "\"tput_calls_per_s\":%.1f}\n",
	            grpc::Version().c_str(), o.server_api.c_str(), o.server_threads, o.api.c_str(), o.lat_api.c_str(), o.payload,
	            o.channels, o.threads, o.calls, median, p99, o.callers, t1 - t0, c1 - c0,
	            rate);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2 || (std::strcmp(argv[1], "server") != 0 && std::strcmp(argv[1], "client") != 0)) {
		std::fprintf(stderr,
		             "usage: grpc_bench server [--api async|callback|sync] [--addr A] [--threads N]\n"
		             "       grpc_bench client --target HOST:PORT [--api ...] [--lat-api ...]\n"
		             "                  [--payload B] [--warmup N] [--calls N] [--callers N]\n"
		             "                  [--channels N] [--threads N] [--seconds S]\n"
		             "                  [--server-api A --server-threads N]  (echoed only)\n");
		return 2;
	}
	Opts o = parse(argc, argv, 2);
	if (std::strcmp(argv[1], "server") == 0)
		return run_server(o);
	return run_client(o);
}
