// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu.c - a virtual CPU: its fd, its registers and THV_RUN.
 */
#define pr_fmt(fmt) "thv: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "thv.h"
#include "stats.h"

/* The RFLAGS bits a guest may have; bit 1 always reads as one. */
#define THV_RFLAGS_MASK		0x3f7fd5ULL
#define THV_RFLAGS_FIXED	0x2ULL

/*
 * TOUR(5): The run loop.  THV_RUN enters the guest, and the CPU stays in
 * guest mode ("non-root mode", ring -1's tenant) until something the
 * hypervisor asked to intercept happens: a VM exit.  Most exits are
 * handled right here in the kernel (CPUID, a nested page fault on RAM)
 * and we go straight back in; the loop only returns to userspace when
 * the exit needs the device model (I/O, MMIO), when the guest halted or
 * died, or when a signal is pending, so Ctrl-C always stops a guest.
 */
static int thv_vcpu_run(struct thv_vcpu *vcpu)
{
	struct thv_vm *vm = vcpu->vm;
	struct thv_run *run = vcpu->run;
	struct thv_exit exit;
	u64 rip;
	int ret;

	/*
	 * Only the process that made the VM runs it: its memory is what the
	 * guest's pages are pinned from, on first use (vm.c).  KVM has the
	 * same rule.
	 */
	if (current->mm != vm->mm)
		return -EIO;
	if (vcpu->shutdown) {
		run->exit_reason = THV_EXIT_SHUTDOWN;
		return 0;
	}

	/*
	 * The slots stay as they are while we run (thv.h, run_lock).  The
	 * read side of an rwsem is one atomic add: no lock on the way in.
	 */
	down_read(&vm->run_lock);

	rip = vcpu->rip;
	thv_complete_pending(vcpu);
	if (vcpu->debug_flags)
		thv_debug_pending_done(vcpu, rip); /* debug.c: a step done? */
	for (;;) {
		if (READ_ONCE(run->request_immediate_exit) ||
		    signal_pending(current)) {
			run->exit_reason = THV_EXIT_INTR;
			ret = -EINTR;
			break;
		}
		if (need_resched())
			cond_resched();

		/* Single-stepping: the step finished outside the guest. */
		if (vcpu->debug_flags && thv_debug_step_pending(vcpu)) {
			ret = 0;
			break;
		}
		/* Queued interrupts and exceptions, events.c. */
		if (thv_events_before_entry(vcpu)) {
			run->exit_reason = THV_EXIT_IRQ_WINDOW;
			run->hw_exit_valid = 0;
			run->exit_rip = vcpu->rip;
			ret = 0;
			break;
		}
		thv_stats_entry(vcpu);		/* stats.c: counters, trace */
		vcpu->fast_left = THV_FASTPATH_MAX;	/* exit.c */
		ret = thv_ops->run(vcpu, &exit);
		if (ret)
			break;
		vcpu->exits++;
		thv_stats_exit(vcpu, &exit);

		ret = thv_handle_exit(vcpu, &exit);
		if (ret <= 0)
			break;
	}
	run->exits = vcpu->exits;
	thv_events_to_user(vcpu);

	up_read(&vm->run_lock);
	return ret;
}

static void thv_get_regs(struct thv_vcpu *vcpu, struct thv_regs *r)
{
	const u64 *g = vcpu->regs;

	*r = (struct thv_regs) {
		.rax = g[THV_RAX], .rbx = g[THV_RBX],
		.rcx = g[THV_RCX], .rdx = g[THV_RDX],
		.rsi = g[THV_RSI], .rdi = g[THV_RDI],
		.rsp = g[THV_RSP], .rbp = g[THV_RBP],
		.r8 = g[THV_R8], .r9 = g[THV_R9],
		.r10 = g[THV_R10], .r11 = g[THV_R11],
		.r12 = g[THV_R12], .r13 = g[THV_R13],
		.r14 = g[THV_R14], .r15 = g[THV_R15],
		.rip = vcpu->rip, .rflags = vcpu->rflags,
	};
}

static void thv_set_regs(struct thv_vcpu *vcpu, const struct thv_regs *r)
{
	u64 *g = vcpu->regs;

	g[THV_RAX] = r->rax;
	g[THV_RBX] = r->rbx;
	g[THV_RCX] = r->rcx;
	g[THV_RDX] = r->rdx;
	g[THV_RSI] = r->rsi;
	g[THV_RDI] = r->rdi;
	g[THV_RSP] = r->rsp;
	g[THV_RBP] = r->rbp;
	g[THV_R8] = r->r8;
	g[THV_R9] = r->r9;
	g[THV_R10] = r->r10;
	g[THV_R11] = r->r11;
	g[THV_R12] = r->r12;
	g[THV_R13] = r->r13;
	g[THV_R14] = r->r14;
	g[THV_R15] = r->r15;
	vcpu->rip = r->rip;
	vcpu->rflags = (r->rflags & THV_RFLAGS_MASK) | THV_RFLAGS_FIXED;
	/* New state from userspace: forget the half-done instruction. */
	vcpu->pending = THV_PENDING_NONE;
}

static long thv_vcpu_ioctl_locked(struct thv_vcpu *vcpu, unsigned int cmd,
				  void __user *argp)
{
	struct thv_exception_intercepts exc;
	struct thv_regs regs;
	struct thv_sregs sregs;
	int ret;

	switch (cmd) {
	case THV_GET_REGS:
		thv_get_regs(vcpu, &regs);
		return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
	case THV_SET_REGS:
		if (copy_from_user(&regs, argp, sizeof(regs)))
			return -EFAULT;
		thv_set_regs(vcpu, &regs);
		return 0;
	case THV_GET_SREGS:
		memset(&sregs, 0, sizeof(sregs));
		thv_ops->get_sregs(vcpu, &sregs);
		return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
	case THV_SET_SREGS:
		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			return -EFAULT;
		ret = thv_ops->set_sregs(vcpu, &sregs);
		if (!ret) {
			vcpu->pending = THV_PENDING_NONE;
			/* A reset after a triple fault: nothing is queued. */
			if (vcpu->shutdown) {
				vcpu->irq_queued = false;
				vcpu->exc_queued = false;
			}
			vcpu->shutdown = false;
		}
		return ret;
	case THV_SET_CPUID:
		return thv_set_cpuid(vcpu, argp);
	case THV_SET_EXCEPTION_INTERCEPTS:
		if (copy_from_user(&exc, argp, sizeof(exc)))
			return -EFAULT;
		if (exc.padding || (exc.vectors & ~THV_EXCEPTIONS_ALLOWED))
			return -EINVAL;
		vcpu->user_exceptions = exc.vectors;
		thv_update_exception_intercepts(vcpu);
		return 0;
	case THV_INTERRUPT:
		return thv_queue_interrupt(vcpu, argp);
	case THV_INJECT_EXCEPTION:
		return thv_queue_exception(vcpu, argp);
	case THV_GET_HW_FIELDS:
		return thv_get_hw_fields(vcpu, argp);
	case THV_SET_GUEST_DEBUG:
		return thv_set_guest_debug(vcpu, argp);
	default:
		return -ENOTTY;
	}
}

static long thv_vcpu_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct thv_vcpu *vcpu = filp->private_data;
	long ret;

	if (mutex_lock_killable(&vcpu->lock))
		return -EINTR;
	/*
	 * THV_RUN is the hot one (make bench): it skips the function with
	 * the register structs on its stack, which the kernel may clear on
	 * every call (CONFIG_INIT_STACK_ALL_ZERO).
	 */
	if (cmd == THV_RUN)
		ret = arg ? -EINVAL : thv_vcpu_run(vcpu);
	else
		ret = thv_vcpu_ioctl_locked(vcpu, cmd, (void __user *)arg);
	mutex_unlock(&vcpu->lock);
	return ret;
}

static vm_fault_t thv_vcpu_fault(struct vm_fault *vmf)
{
	struct thv_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff != 0)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(vcpu->run);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct thv_vcpu_vm_ops = {
	.fault = thv_vcpu_fault,
};

/* The run area is exactly one page at offset 0. */
static int thv_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff != 0 || vma_pages(vma) != 1)
		return -EINVAL;
	vma->vm_ops = &thv_vcpu_vm_ops;
	return 0;
}

static void thv_vcpu_free(struct thv_vcpu *vcpu)
{
	thv_ops->vcpu_free(vcpu);
	thv_guest_fpu_free(vcpu);
	kfree(vcpu->cpuid);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

static int thv_vcpu_release(struct inode *inode, struct file *filp)
{
	struct thv_vcpu *vcpu = filp->private_data;
	struct thv_vm *vm = vcpu->vm;

	mutex_lock(&vm->lock);
	thv_stats_retire(vcpu);
	vm->vcpus[vcpu->id] = NULL;
	mutex_unlock(&vm->lock);
	thv_vcpu_free(vcpu);
	thv_vm_put(vm);
	return 0;
}

static const struct file_operations thv_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= thv_vcpu_release,
	.unlocked_ioctl	= thv_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= thv_vcpu_mmap,
	.llseek		= noop_llseek,
};

int thv_vcpu_create_fd(struct thv_vm *vm, unsigned long id)
{
	struct thv_vcpu *vcpu;
	int ret;

	if (id >= THV_MAX_VCPUS)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->run = (struct thv_run *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run) {
		ret = -ENOMEM;
		goto undo_vcpu_alloc;
	}
	vcpu->vm = vm;
	vcpu->id = id;
	thv_msr_vcpu_init(vcpu);
	mutex_init(&vcpu->lock);
	vcpu->rflags = THV_RFLAGS_FIXED;
	vcpu->rip = 0xfff0;		/* the reset vector, SDM Vol. 3A 9.1.4 */

	ret = thv_guest_fpu_alloc(vcpu);
	if (ret)
		goto undo_run_alloc;
	ret = thv_ops->vcpu_create(vcpu);
	if (ret)
		goto undo_fpu_alloc;

	mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		mutex_unlock(&vm->lock);
		ret = -EEXIST;
		goto undo_vendor;
	}
	vm->vcpus[id] = vcpu;
	kref_get(&vm->ref);
	mutex_unlock(&vm->lock);

	ret = anon_inode_getfd("thv-vcpu", &thv_vcpu_fops, vcpu,
			       O_RDWR | O_CLOEXEC);
	if (ret < 0)
		goto undo_publish;
	return ret;

undo_publish:
	mutex_lock(&vm->lock);
	vm->vcpus[id] = NULL;
	mutex_unlock(&vm->lock);
	thv_vm_put(vm);
undo_vendor:
	thv_ops->vcpu_free(vcpu);
undo_fpu_alloc:
	thv_guest_fpu_free(vcpu);
	kfree(vcpu->cpuid);
undo_run_alloc:
	free_page((unsigned long)vcpu->run);
undo_vcpu_alloc:
	kfree(vcpu);
	return ret;
}
