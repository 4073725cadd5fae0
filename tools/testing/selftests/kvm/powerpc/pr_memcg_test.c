// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM Book3S PR charges its shadow HPTE cache to the memory cgroup of the
 * process that runs the vCPU.  Each shadow HPTE a vCPU maps has an entry in
 * that vCPU's cache, up to hpte_cache_size of them, and a host that limits
 * a VM's memory with a cgroup must count them: a guest that touches many
 * pages must not grow unaccounted kernel memory.
 *
 * The test moves itself into a new cgroup (cgroup v2, mounted here if it is
 * not), has the host fault every guest page in, then lets one vCPU read
 * -n guest pages, one shadow HPTE each.  The cgroup's slab_unreclaimable
 * (memory.stat) must grow by at least the shadow faults the read took
 * (the vCPU's sp_storage stat) times the size of a cache entry
 * (/sys/kernel/slab/kvm-spt/object_size, or 64 bytes if SLUB does not say).
 * It skips where the kernel has no memory controller.
 */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define DATA_SLOT	1
#define DATA_GPA	BIT_ULL(30)
#define DATA_GVA	BIT_ULL(30)
#define CGROOT		"/sys/fs/cgroup"

enum { OP_NONE, OP_READ, OP_DONE };

static u64 guest_op;

static void guest_code(u64 npages)
{
	u64 i, sum;

	for (;;) {
		sum = 0;
		if (READ_ONCE(guest_op) == OP_READ)
			for (i = 0; i < npages; i++)
				sum += READ_ONCE(*(u64 *)(DATA_GVA + i * 4096));
		if (READ_ONCE(guest_op) == OP_DONE)
			GUEST_DONE();
		GUEST_SYNC(sum);
	}
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	TEST_ASSERT(fd >= 0, "open %s", path);
	TEST_ASSERT(write(fd, s, strlen(s)) == (ssize_t)strlen(s), "write '%s' to %s", s, path);
	close(fd);
}

/* The value of @key in the "key value" lines of @path, -1 if it has none */
static long long read_key(const char *path, const char *key)
{
	char line[256], k[128];
	long long v, found = -1;
	FILE *f = fopen(path, "r");

	TEST_ASSERT(f, "open %s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lld", k, &v) == 2 && !strcmp(k, key))
			found = v;
	fclose(f);
	return found;
}

static bool has_memory_controller(void)
{
	char buf[512] = "";
	FILE *f;

	if (access(CGROOT "/cgroup.controllers", R_OK) &&
	    mount("none", CGROOT, "cgroup2", 0, NULL))
		return false;
	f = fopen(CGROOT "/cgroup.controllers", "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, "memory");
}

static u64 entry_size(void)
{
	FILE *f = fopen("/sys/kernel/slab/kvm-spt/object_size", "r");
	unsigned long size = 0;

	if (f) {
		if (fscanf(f, "%lu", &size) != 1)
			size = 0;
		fclose(f);
	}
	return size ? size : 64;
}

int main(int argc, char *argv[])
{
	char cg[64], stat[96], procs[96];
	long long before, after;
	struct kvm_vcpu *vcpu;
	u64 npages = 8192, i, faults, size;
	struct kvm_vm *vm;
	struct ucall uc;
	char *host;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		switch (opt) {
		case 'n':
			npages = strtoull(optarg, NULL, 0);
			break;
		default:
			ksft_exit_fail_msg("usage: %s [-n guest_pages]\n", argv[0]);
		}
	}
	TEST_REQUIRE(has_memory_controller());

	ksft_print_header();
	ksft_set_plan(1);
	snprintf(cg, sizeof(cg), CGROOT "/pr_memcg_test.%d", getpid());
	snprintf(stat, sizeof(stat), "%s/memory.stat", cg);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	write_file(CGROOT "/cgroup.subtree_control", "+memory");
	TEST_ASSERT(!mkdir(cg, 0755), "mkdir %s", cg);
	write_file(procs, "0");

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT, npages, 0);
	virt_map(vm, DATA_GVA, DATA_GPA, npages);
	vcpu_args_set(vcpu, 1, npages);
	host = addr_gpa2hva(vm, DATA_GPA);
	for (i = 0; i < npages; i++)
		host[i * 4096] = 1;
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);

	before = read_key(stat, "slab_unreclaimable");
	TEST_ASSERT(before >= 0, "no slab_unreclaimable in %s", stat);
	faults = vcpu_get_stat(vcpu, sp_storage);
	guest_op = OP_READ;
	sync_global_to_guest(vm, guest_op);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], npages);
	faults = vcpu_get_stat(vcpu, sp_storage) - faults;
	size = entry_size();
	/* memory.stat is flushed on read once enough has changed, or every 2 s */
	for (i = 0; i < 5; i++) {
		after = read_key(stat, "slab_unreclaimable");
		if (after - before >= (long long)(faults * size))
			break;
		sleep(1);
	}
	ksft_print_msg("%lu guest pages read: %lu shadow faults, slab_unreclaimable %lld -> %lld\n",
		       npages, faults, before, after);
	ksft_print_msg("+%lld bytes, %.1f per fault; a cache entry is %lu\n", after - before,
		       faults ? (double)(after - before) / faults : 0.0, size);
	TEST_ASSERT(faults, "the read of %lu pages took no shadow fault", npages);
	TEST_ASSERT(after - before >= (long long)(faults * size),
		    "the cgroup was charged %lld bytes of slab for %lu shadow HPTEs of %lu bytes: the cache is not accounted",
		    after - before, faults, size);

	guest_op = OP_DONE;
	sync_global_to_guest(vm, guest_op);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	kvm_vm_free(vm);
	write_file(CGROOT "/cgroup.procs", "0");
	rmdir(cg);
	ksft_test_result_pass("%lu shadow HPTEs charged to the cgroup\n", faults);
	ksft_finished();
}
