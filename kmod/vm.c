// SPDX-License-Identifier: GPL-2.0
/*
 * vm.c - a VM: its guest memory and its vCPUs.
 *
 * TOUR(4 thv_vm_set_memory_region): Guest memory.  To the guest, "physical
 * memory" is whatever userspace handed us with THV_SET_MEMORY_REGION: ordinary
 * pages of the runner process.  Everything happens lazily, on the guest's
 * first access to a page: a nested page fault, then exit.c pins the page (so
 * it cannot be swapped or moved while the hardware may touch it), remembers
 * it in the slot, and maps it in the nested page tables (mmu.c).  A guest
 * that touches 3 pages of its 2 MiB costs 3 pages, not 512 allocated and
 * zeroed ones (docs/performance.md, "create").  Memory no slot backs is
 * MMIO: the access goes to userspace as THV_EXIT_MMIO.
 */
#define pr_fmt(fmt) "thv: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/io.h>
#include <linux/uaccess.h>
#include "thv.h"

static void thv_slot_release(struct thv_vm *vm, struct thv_memslot *slot)
{
	u64 i;

	if (!slot->npages)
		return;
	for (i = 0; i < slot->npages; i++)
		if (slot->pages[i])
			unpin_user_page(slot->pages[i]);
	account_locked_vm(vm->mm, slot->npages, false);
	kvfree(slot->pages);
	vm->mem_bytes -= slot->npages << PAGE_SHIFT;
	memset(slot, 0, sizeof(*slot));
}

static void thv_vm_free(struct kref *ref)
{
	struct thv_vm *vm = container_of(ref, struct thv_vm, ref);
	int i;

	/* First: debugfs readers look at everything freed below. */
	thv_debugfs_vm_destroy(vm);
	for (i = 0; i < THV_MAX_SLOTS; i++)
		thv_slot_release(vm, &vm->slots[i]);
	thv_mmu_destroy(&vm->mmu);
	mmdrop(vm->mm);
	kfree(vm);
}

void thv_vm_put(struct thv_vm *vm)
{
	kref_put(&vm->ref, thv_vm_free);
}

/*
 * The slot backing gpa, or NULL (MMIO).  Caller holds vm->lock, or is in
 * THV_RUN, where vm->run_lock keeps the slots from changing.
 */
struct thv_memslot *thv_gpa_to_slot(struct thv_vm *vm, u64 gpa)
{
	int i;

	for (i = 0; i < THV_MAX_SLOTS; i++) {
		struct thv_memslot *s = &vm->slots[i];

		if (s->npages && gpa >= s->gpa &&
		    gpa - s->gpa < (s->npages << PAGE_SHIFT))
			return s;
	}
	return NULL;
}

static int thv_check_region(struct thv_vm *vm,
			    const struct thv_memory_region *r)
{
	u64 end;
	int i;

	if (r->flags || r->slot >= THV_MAX_SLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(r->guest_phys_addr) ||
	    !PAGE_ALIGNED(r->memory_size) ||
	    !PAGE_ALIGNED(r->userspace_addr))
		return -EINVAL;
	if (!r->memory_size)
		return 0;
	if (r->memory_size > THV_MAX_MEM_BYTES)
		return -EINVAL;
	if (check_add_overflow(r->guest_phys_addr, r->memory_size, &end) ||
	    end > thv_caps.max_gpa)
		return -EINVAL;
	if (r->userspace_addr + r->memory_size < r->userspace_addr ||
	    !access_ok((void __user *)(unsigned long)r->userspace_addr,
		       r->memory_size))
		return -EINVAL;

	for (i = 0; i < THV_MAX_SLOTS; i++) {
		struct thv_memslot *s = &vm->slots[i];
		u64 s_end = s->gpa + (s->npages << PAGE_SHIFT);

		if (i == r->slot || !s->npages)
			continue;
		if (r->guest_phys_addr < s_end && s->gpa < end)
			return -EINVAL;
	}
	return 0;
}

/*
 * The host page behind guest page idx of slot, pinned on first use: the
 * first nested page fault on it, or the first time thv.ko reads or writes
 * it for the guest (emulate.c).  Pinned FOLL_LONGTERM, as the CPU may use
 * it for as long as the slot exists.  May sleep, and only the process that
 * owns the memory may pin it: NULL otherwise, or when the runner has
 * unmapped the range since (then THV_RUN fails with EFAULT).
 */
struct page *thv_slot_page(struct thv_vm *vm, struct thv_memslot *slot,
			   u64 idx)
{
	struct page *page = READ_ONCE(slot->pages[idx]);

	if (likely(page))
		return page;
	if (current->mm != vm->mm ||
	    pin_user_pages_fast(slot->uaddr + (idx << PAGE_SHIFT), 1,
				FOLL_WRITE | FOLL_LONGTERM, &page) != 1)
		return NULL;
	/* Two vCPUs may pin the same page at once: the first one wins. */
	if (cmpxchg(&slot->pages[idx], NULL, page)) {
		unpin_user_page(page);
		page = READ_ONCE(slot->pages[idx]);
	}
	return page;
}

/*
 * Prepare a slot: its (still empty) page array, the memory accounted as
 * locked up front (RLIMIT_MEMLOCK applies to the whole slot), and the user
 * range checked now, so that a bad address fails here with EFAULT and not
 * at the guest's first touch: every byte must be in writable ordinary
 * memory.  On failure nothing stays allocated or accounted.
 */
static int thv_slot_prepare(struct thv_vm *vm, struct thv_memslot *slot,
			    const struct thv_memory_region *r)
{
	u64 npages = r->memory_size >> PAGE_SHIFT;
	u64 addr = r->userspace_addr, end = addr + r->memory_size;
	struct vm_area_struct *vma;
	int ret = 0;

	mmap_read_lock(vm->mm);
	while (addr < end) {
		vma = vma_lookup(vm->mm, addr);
		if (!vma || !(vma->vm_flags & VM_WRITE) ||
		    (vma->vm_flags & (VM_IO | VM_PFNMAP))) {
			ret = -EFAULT;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(vm->mm);
	if (ret)
		return ret;

	slot->pages = kvcalloc(npages, sizeof(*slot->pages),
			       GFP_KERNEL_ACCOUNT);
	if (!slot->pages)
		return -ENOMEM;
	ret = account_locked_vm(vm->mm, npages, true);
	if (ret) {
		kvfree(slot->pages);
		slot->pages = NULL;
		return ret;
	}
	slot->gpa = r->guest_phys_addr;
	slot->uaddr = r->userspace_addr;
	slot->npages = npages;
	return 0;
}

static int thv_vm_set_memory_region(struct thv_vm *vm,
				    const struct thv_memory_region *r)
{
	struct thv_memslot *slot;
	struct thv_memslot new = {};
	u64 old_bytes;
	int ret;

	if (current->mm != vm->mm)
		return -EIO;	/* only the creating process maps memory */

	mutex_lock(&vm->lock);
	/* Not under a running vCPU's feet (thv.h, run_lock). */
	if (!down_write_trylock(&vm->run_lock)) {
		mutex_unlock(&vm->lock);
		return -EBUSY;
	}
	ret = thv_check_region(vm, r);
	if (ret)
		goto out;

	slot = &vm->slots[r->slot];
	old_bytes = slot->npages << PAGE_SHIFT;
	ret = -ENOMEM;
	if (vm->mem_bytes - old_bytes + r->memory_size > THV_MAX_MEM_BYTES)
		goto out;

	if (r->memory_size) {
		ret = thv_slot_prepare(vm, &new, r);
		if (ret)
			goto out;
	}

	/*
	 * The old pages may be mapped in the nested page tables: throw the
	 * tables away (they are rebuilt on demand) and make every vCPU flush
	 * its TLB before it next enters the guest.
	 */
	if (slot->npages) {
		thv_mmu_destroy(&vm->mmu);
		ret = thv_mmu_init(&vm->mmu, thv_ops->mmu_fmt());
		vm->mmu_generation++;
		thv_slot_release(vm, slot);
		if (ret) {
			if (new.npages) {
				/* Nothing was pinned in it yet. */
				account_locked_vm(vm->mm, new.npages, false);
				kvfree(new.pages);
			}
			goto out;
		}
	}
	*slot = new;
	vm->mem_bytes += new.npages << PAGE_SHIFT;
	ret = 0;
out:
	up_write(&vm->run_lock);
	mutex_unlock(&vm->lock);
	return ret;
}

static long thv_vm_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	struct thv_vm *vm = filp->private_data;
	struct thv_memory_region r;

	switch (cmd) {
	case THV_SET_MEMORY_REGION:
		if (copy_from_user(&r, (void __user *)arg, sizeof(r)))
			return -EFAULT;
		return thv_vm_set_memory_region(vm, &r);
	case THV_CREATE_VCPU:
		return thv_vcpu_create_fd(vm, arg);
	case THV_GET_EXIT_STATS:
		return thv_get_exit_stats(vm, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static int thv_vm_release(struct inode *inode, struct file *filp)
{
	thv_vm_put(filp->private_data);
	return 0;
}

static const struct file_operations thv_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= thv_vm_release,
	.unlocked_ioctl	= thv_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

int thv_vm_create_fd(void)
{
	struct thv_vm *vm;
	int ret;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	kref_init(&vm->ref);
	mutex_init(&vm->lock);
	init_rwsem(&vm->run_lock);
	mmgrab(current->mm);
	vm->mm = current->mm;

	ret = thv_mmu_init(&vm->mmu, thv_ops->mmu_fmt());
	if (ret)
		goto undo_alloc;

	/*
	 * The debugfs directory comes before the fd: once the fd exists,
	 * another thread may close it and free the VM at any moment.
	 */
	thv_debugfs_vm_create(vm);
	ret = anon_inode_getfd("thv-vm", &thv_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (ret < 0)
		goto undo_debugfs;
	return ret;

undo_debugfs:
	thv_debugfs_vm_destroy(vm);
	thv_mmu_destroy(&vm->mmu);
undo_alloc:
	mmdrop(vm->mm);
	kfree(vm);
	return ret;
}
