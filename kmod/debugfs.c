// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/thv/: a window into every running VM.
 *
 * Looking inside.  debugfs (Documentation/filesystems/debugfs.rst) is
 * the kernel's scratch filesystem for debugging: any module can put
 * files there that print its internal state.  thv makes
 * one directory per VM, vm-<pid>-<n> (the creating process, and a number
 * that counts every VM since the module was loaded), with two files:
 *
 *   exits   the exit counters (stats.c): per kind, how many exits and how
 *           many nanoseconds the host spent on them.
 *   npt     the nested page table as it is now: which guest-physical
 *           pages are mapped to which host-physical pages.  The guest's
 *           "physical memory" is only what it touched so far: mmu.c maps
 *           pages on their first nested page fault.
 *
 * Removing a debugfs file waits for readers that are inside it, and
 * later reads fail with EIO: the VM's directory goes first when the VM
 * is freed (vm.c), so a reader never sees a freed VM.  debugfs may be
 * missing (CONFIG_DEBUG_FS=n, or debugfs=off): its functions then return
 * error pointers, which they also accept, and thv works without it.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include "thv.h"

static struct dentry *thv_debugfs_root;
static atomic_t thv_debugfs_vm_seq = ATOMIC_INIT(0);

/* ---- exits -------------------------------------------------------- */

static int thv_exits_show(struct seq_file *m, void *v)
{
	struct thv_vm *vm = m->private;
	struct thv_exit_counters sum;
	u64 count = 0, ns = 0;
	int k;

	mutex_lock(&vm->lock);
	thv_stats_sum(vm, &sum);
	mutex_unlock(&vm->lock);

	seq_printf(m, "%-12s %12s %16s %12s\n",
		   "kind", "count", "total_ns", "avg_ns");
	for (k = 0; k < THV_KIND_NR; k++) {
		if (!sum.count[k])
			continue;
		seq_printf(m, "%-12s %12llu %16llu %12llu\n",
			   thv_kind_names[k], sum.count[k], sum.ns[k],
			   div64_u64(sum.ns[k], sum.count[k]));
		count += sum.count[k];
		ns += sum.ns[k];
	}
	seq_printf(m, "%-12s %12llu %16llu %12llu\n", "total", count, ns,
		   count ? div64_u64(ns, count) : 0);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(thv_exits);

/* ---- npt ---------------------------------------------------------- */

/*
 * The walk reports one leaf at a time (mmu.c); neighbours that continue
 * each other (next GPA, next HPA, same permissions and page size) are
 * printed as one run, so a guest's contiguous RAM is one line.
 */
struct thv_npt_run {
	struct seq_file *m;
	const struct thv_mmu_fmt *fmt;
	bool open;			/* a run is being collected */
	u64 gpa, hpa, bytes;
	char perm[4];
	int level;
	u64 pages, runs;		/* totals, for the last line */
};

static void thv_npt_flush(struct thv_npt_run *r)
{
	if (!r->open)
		return;
	seq_printf(r->m, "0x%012llx-0x%012llx -> 0x%012llx-0x%012llx %6llu %s %d\n",
		   r->gpa, r->gpa + r->bytes - 1, r->hpa, r->hpa + r->bytes - 1,
		   r->bytes >> PAGE_SHIFT, r->perm, r->level);
	r->open = false;
	r->runs++;
}

static void thv_npt_leaf(void *arg, u64 gpa, u64 e, int level)
{
	struct thv_npt_run *r = arg;
	const struct thv_mmu_fmt *fmt = r->fmt;
	u64 size = 1ULL << (PAGE_SHIFT + 9 * (level - 1));
	u64 hpa = e & GENMASK_ULL(51, 12) & ~(size - 1);
	char perm[4];

	perm[0] = (e & fmt->read_mask) ? 'r' : '-';
	perm[1] = (e & fmt->write_mask) ? 'w' : '-';
	if (fmt->exec_mask)
		perm[2] = (e & fmt->exec_mask) ? 'x' : '-';
	else
		perm[2] = (e & fmt->nx_mask) ? '-' : 'x';
	perm[3] = '\0';

	r->pages += size >> PAGE_SHIFT;
	if (r->open && level == r->level && gpa == r->gpa + r->bytes &&
	    hpa == r->hpa + r->bytes && !strcmp(perm, r->perm)) {
		r->bytes += size;
		return;
	}
	thv_npt_flush(r);
	r->open = true;
	r->gpa = gpa;
	r->hpa = hpa;
	r->bytes = size;
	r->level = level;
	memcpy(r->perm, perm, sizeof(perm));
}

static int thv_npt_show(struct seq_file *m, void *v)
{
	struct thv_vm *vm = m->private;
	struct thv_npt_run r = { .m = m };

	mutex_lock(&vm->lock);
	r.fmt = vm->mmu.fmt;
	seq_printf(m, "# %s, %d levels, root 0x%llx, %lu table pages\n",
		   r.fmt->name, r.fmt->levels,
		   vm->mmu.root ? (u64)thv_mmu_root_pa(&vm->mmu) : 0,
		   vm->mmu.nr_tables);
	seq_puts(m, "# guest-physical range           -> host-physical range            pages perm level\n");
	thv_mmu_walk(&vm->mmu, thv_npt_leaf, &r);
	thv_npt_flush(&r);
	mutex_unlock(&vm->lock);
	seq_printf(m, "# %llu pages mapped in %llu runs\n", r.pages, r.runs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(thv_npt);

/* ---- directories -------------------------------------------------- */

/* Module load: /sys/kernel/debug/thv.  A failure is not fatal. */
void thv_debugfs_init(void)
{
	thv_debugfs_root = debugfs_create_dir("thv", NULL);
}

void thv_debugfs_exit(void)
{
	debugfs_remove_recursive(thv_debugfs_root);
	thv_debugfs_root = NULL;
}

/* A new VM, before its fd exists: its directory and files. */
void thv_debugfs_vm_create(struct thv_vm *vm)
{
	char name[48];

	vm->debugfs = NULL;
	if (IS_ERR_OR_NULL(thv_debugfs_root))
		return;
	snprintf(name, sizeof(name), "vm-%d-%d", task_tgid_nr(current),
		 atomic_inc_return(&thv_debugfs_vm_seq));
	vm->debugfs = debugfs_create_dir(name, thv_debugfs_root);
	if (IS_ERR(vm->debugfs))
		return;
	debugfs_create_file("exits", 0400, vm->debugfs, vm, &thv_exits_fops);
	debugfs_create_file("npt", 0400, vm->debugfs, vm, &thv_npt_fops);
}

/* The VM is going: waits until no reader is inside its files. */
void thv_debugfs_vm_destroy(struct thv_vm *vm)
{
	debugfs_remove_recursive(vm->debugfs);
	vm->debugfs = NULL;
}
