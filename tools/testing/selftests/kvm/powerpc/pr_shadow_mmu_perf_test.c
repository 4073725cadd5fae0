// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR: what the shadow MMU costs in the running kernel.  The
 * measurements of make bench (scripts/bench), which runs it on base and
 * patched kernels; like the other *_perf_test programs it asserts nothing
 * about the figures, and fails only when the VM does not run.  Each
 * measurement is one line on stdout:
 *
 *   bench FIGURE KEY=VALUE ...
 *
 * -f notifier  -v vCPUs each read -k guest pages (one shadow HPTE each),
 *              then the host drops -n host pages of the same memslot that
 *              no vCPU touched, one MADV_DONTNEED (one MMU-notifier unmap)
 *              at a time: microseconds per call (median and mean of the
 *              calls).
 * -f flush     a vCPU reads -k pages, then KVM_SET_SREGS flushes its whole
 *              shadow HPTE cache; -n times: microseconds per flush and
 *              nanoseconds per cached entry.
 * -f touch     a vCPU touches -w guest pages in the patterns of -p, in
 *              turn: "uniform" (-t independent uniform touches a pass),
 *              "perm" (each pass a new random permutation of all -w pages)
 *              or "hotcold" (-t touches a pass, 80% of them on the first
 *              20% of the pages).  After one pass over all pages from an
 *              empty cache (measured as "fill"), each pattern runs -P
 *              passes, a line each: microseconds per touch, shadow faults
 *              (the vCPU's sp_storage and sp_instruc stats) per touch,
 *              microseconds and exits (sum_exits) per fault, and the least
 *              faults per touch any policy takes with uniform touches,
 *              1 - C/W for W pages above the capacity C.  A cache
 *              flushed whole when full (upstream's) pays for the flush
 *              once every C faults: a pass must take more faults than
 *              that for its time per fault to include it.
 *
 * Without -f it runs each figure once with its defaults, quickly, as
 * run_kselftest.sh does.  The cache's capacity is kvm_pr.hpte_cache_size,
 * or upstream's fixed HPTEG_CACHE_NUM (32768) where kvm-pr has no such
 * parameter.
 */
#include <time.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(31)
#define DATA_GVA	BIT_ULL(31)
#define IDX_SLOT	2
#define IDX_GPA		BIT_ULL(30)
#define IDX_GVA		BIT_ULL(30)
#define GUEST_PAGE	4096UL
#define UPSTREAM_CACHE	32768UL
#define MAX_VCPUS	8

/* The guest reads the pages whose numbers are the first guest_n of IDX */
static u64 guest_n;

static void guest_code(void)
{
	const u32 *idx = (const u32 *)IDX_GVA;
	u64 i, n, sum;

	for (;;) {
		sum = 0;
		n = READ_ONCE(guest_n);
		for (i = 0; i < n; i++)
			sum += READ_ONCE(*(u64 *)(DATA_GVA + (u64)READ_ONCE(idx[i]) * GUEST_PAGE));
		GUEST_SYNC(sum);
	}
}

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpus[MAX_VCPUS];
static u32 *idx;
static u64 idx_max;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* One pass of @vcpu over the first @n indices; its time in microseconds */
static double run_pass(struct kvm_vcpu *vcpu, u64 n)
{
	struct ucall uc;
	double t0;

	TEST_ASSERT(n <= idx_max, "%lu touches, room for %lu", n, idx_max);
	guest_n = n;
	sync_global_to_guest(vm, guest_n);
	t0 = now_us();
	vcpu_run(vcpu);
	t0 = now_us() - t0;
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	return t0;
}

static void setup(unsigned int nr_vcpus, u64 data_pages, u64 touches)
{
	u64 idx_pages = vm_adjust_num_guest_pages(VM_MODE_DEFAULT,
						  DIV_ROUND_UP(touches * sizeof(u32), GUEST_PAGE));

	data_pages = vm_adjust_num_guest_pages(VM_MODE_DEFAULT, data_pages);
	vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, data_pages, 0);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, IDX_GPA, IDX_SLOT, idx_pages, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, data_pages);
	virt_map(vm, IDX_GVA, IDX_GPA, idx_pages);
	idx = addr_gpa2hva(vm, IDX_GPA);
	idx_max = idx_pages * GUEST_PAGE / sizeof(u32);
}

static u64 cache_capacity(void)
{
	if (access("/sys/module/kvm_pr/parameters/hpte_cache_size", R_OK))
		return UPSTREAM_CACHE;
	return kvm_get_module_param_integer("kvm_pr", "hpte_cache_size");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void figure_notifier(unsigned int nr_vcpus, u64 k, u64 n)
{
	u64 hp = getpagesize(), per_hp = hp / GUEST_PAGE, first, i;
	double *t, sum = 0;
	char *hva;

	/* Untouched host pages start at the first host page after the k read */
	first = DIV_ROUND_UP(k, per_hp) * per_hp;
	setup(nr_vcpus, first + n * per_hp, k ? k : 1);
	for (i = 0; i < k; i++)
		idx[i] = i;
	for (i = 0; i < nr_vcpus; i++)
		run_pass(vcpus[i], k);
	t = calloc(n, sizeof(*t));
	TEST_ASSERT(t, "calloc");
	hva = addr_gpa2hva(vm, DATA_GPA + first * GUEST_PAGE);
	for (i = 0; i < n; i++) {
		double t0 = now_us();

		TEST_ASSERT(!madvise(hva + i * hp, hp, MADV_DONTNEED), "MADV_DONTNEED");
		t[i] = now_us() - t0;
		sum += t[i];
	}
	qsort(t, n, sizeof(*t), cmp_double);
	printf("bench notifier vcpus=%u entries=%lu calls=%lu us_median=%.2f us_mean=%.2f\n",
	       nr_vcpus, k, n, t[n / 2], sum / n);
	free(t);
	kvm_vm_free(vm);
}

static void figure_flush(u64 k, u64 n)
{
	struct kvm_sregs sregs;
	double *t, t0;
	u64 i;

	setup(1, k, k);
	for (i = 0; i < k; i++)
		idx[i] = i;
	t = calloc(n, sizeof(*t));
	TEST_ASSERT(t, "calloc");
	vcpu_sregs_get(vcpus[0], &sregs);
	for (i = 0; i < n; i++) {
		run_pass(vcpus[0], k);
		t0 = now_us();
		vcpu_sregs_set(vcpus[0], &sregs);
		t[i] = now_us() - t0;
	}
	qsort(t, n, sizeof(*t), cmp_double);
	printf("bench flush entries=%lu flushes=%lu us_median=%.2f ns_per_entry=%.2f\n",
	       k, n, t[n / 2], k ? t[n / 2] * 1e3 / k : 0.0);
	free(t);
	kvm_vm_free(vm);
}

static void fill_perm(u64 w)
{
	u64 i, j, x;

	for (i = 0; i < w; i++)
		idx[i] = i;
	for (i = w - 1; i > 0; i--) {
		j = random() % (i + 1);
		x = idx[i];
		idx[i] = idx[j];
		idx[j] = x;
	}
}

/* Fills the touches of one pass of @pattern; returns how many */
static u64 fill_pattern(const char *pattern, u64 w, u64 touches)
{
	u64 i, hot = w / 5 ? w / 5 : 1;

	if (!strcmp(pattern, "perm")) {
		fill_perm(w);
		return w;
	}
	for (i = 0; i < touches; i++) {
		if (!strcmp(pattern, "uniform") || w <= hot)
			idx[i] = random() % w;
		else if (random() % 10 < 8)
			idx[i] = random() % hot;
		else
			idx[i] = hot + random() % (w - hot);
	}
	return touches;
}

static bool known_pattern(const char *p)
{
	return !strcmp(p, "uniform") || !strcmp(p, "perm") || !strcmp(p, "hotcold");
}

/* Shadow faults of @vcpu so far: data and instruction */
static u64 shadow_faults(struct kvm_vcpu *vcpu)
{
	return vcpu_get_stat(vcpu, sp_storage) + vcpu_get_stat(vcpu, sp_instruc);
}

/*
 * One measured pass of @pattern over @w pages, and its line; "fill" is the
 * first pass, one permutation of all pages from an empty cache.
 */
static void touch_pass(struct kvm_vcpu *vcpu, const char *pattern, u64 w, u64 touches, u64 pass)
{
	u64 cache = cache_capacity(), n, faults, exits;
	double t;

	n = fill_pattern(strcmp(pattern, "fill") ? pattern : "perm", w, touches);
	faults = shadow_faults(vcpu);
	exits = vcpu_get_stat(vcpu, sum_exits);
	t = run_pass(vcpu, n);
	faults = shadow_faults(vcpu) - faults;
	exits = vcpu_get_stat(vcpu, sum_exits) - exits;
	printf("bench touch pattern=%s pages=%lu cache=%lu w_over_c=%.2f touches=%lu pass=%lu",
	       pattern, w, cache, (double)w / cache, n, pass);
	/* With independent uniform touches no policy faults less than bound */
	printf(" us_per_touch=%.3f faults_per_touch=%.4f us_per_fault=%.2f exits_per_fault=%.3f",
	       t / n, (double)faults / n, faults ? t / faults : 0.0,
	       faults ? (double)exits / faults : 0.0);
	printf(" bound=%.4f\n", w > cache ? 1.0 - (double)cache / w : 0.0);
}

/* @patterns: comma-separated, run in turn on the cache the last one left */
static void figure_touch(char *patterns, u64 w, u64 touches, u64 passes)
{
	char *pattern, *save = NULL;
	u64 pass;

	setup(1, w, w > touches ? w : touches);
	touch_pass(vcpus[0], "fill", w, touches, 0);
	pattern = strtok_r(patterns, ",", &save);
	for (; pattern; pattern = strtok_r(NULL, ",", &save)) {
		TEST_ASSERT(known_pattern(pattern), "unknown pattern %s", pattern);
		for (pass = 0; pass < passes; pass++)
			touch_pass(vcpus[0], pattern, w, touches, pass);
	}
	kvm_vm_free(vm);
}

static void help(const char *name)
{
	printf("usage: %s [-f notifier] [-v vcpus] [-k entries] [-n calls]\n"
	       "       %s -f flush [-k entries] [-n flushes]\n"
	       "       %s -f touch [-p uniform,perm,hotcold] [-w pages] [-t touches] [-P passes]\n",
	       name, name, name);
	exit(KSFT_SKIP);
}

int main(int argc, char *argv[])
{
	u64 k = 1000, n = 100, w = 1024, touches = 8192, passes = 3;
	const char *figure = NULL;
	char patterns[] = "perm,uniform,hotcold", *pattern = patterns;
	unsigned int nr_vcpus = 1;
	int opt;

	while ((opt = getopt(argc, argv, "f:v:k:n:p:w:t:P:")) != -1) {
		switch (opt) {
		case 'f':
			figure = optarg;
			break;
		case 'v':
			nr_vcpus = atoi(optarg);
			break;
		case 'k':
			k = atoll(optarg);
			break;
		case 'n':
			n = atoll(optarg);
			break;
		case 'p':
			pattern = optarg;
			break;
		case 'w':
			w = atoll(optarg);
			break;
		case 't':
			touches = atoll(optarg);
			break;
		case 'P':
			passes = atoll(optarg);
			break;
		default:
			help(argv[0]);
		}
	}
	TEST_ASSERT(nr_vcpus >= 1 && nr_vcpus <= MAX_VCPUS, "1 to %d vCPUs", MAX_VCPUS);
	TEST_ASSERT(n && w && touches && passes, "bad arguments");
	srandom(1);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!figure) {
		/* As run_kselftest.sh runs it: each figure once, small */
		figure_notifier(nr_vcpus, k, n);
		figure_flush(k, n);
		figure_touch(pattern, w, touches, passes);
	} else if (!strcmp(figure, "notifier")) {
		figure_notifier(nr_vcpus, k, n);
	} else if (!strcmp(figure, "flush")) {
		figure_flush(k, n);
	} else if (!strcmp(figure, "touch")) {
		figure_touch(pattern, w, touches, passes);
	} else {
		help(argv[0]);
	}
	return 0;
}
