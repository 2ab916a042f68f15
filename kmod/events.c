// SPDX-License-Identifier: GPL-2.0
/*
 * events.c - interrupts and exceptions that userspace makes the guest take.
 *
 * A real CPU learns about an external interrupt from its INTR pin (or its
 * local APIC); it takes it only at an instruction boundary where
 * RFLAGS.IF = 1 and no STI or MOV SS has just made it wait one more
 * instruction (SDM Vol. 3A 6.8.1 and 6.8.3, APM Vol. 2 8.5).  thv has no
 * interrupt controller in the kernel: the runner models the PIC and the
 * local APIC, decides which vector is due, and raises it here with
 * THV_INTERRUPT, the way QEMU drives KVM with a userspace irqchip.
 *
 * The kernel's part is to get the timing right.  Before every VM entry
 * thv_events_before_entry() looks at what is queued:
 *
 *  - an exception goes into the hardware's injection slot at once (the
 *    VMCS VM-entry interruption-information field, SDM 27.6, or the
 *    VMCB EVENTINJ field, APM 15.20): exceptions do not wait for IF;
 *  - an interrupt goes in only if the guest could take it right now.
 *    Otherwise we ask the CPU to exit the moment it could: "interrupt-
 *    window exiting" on VMX (SDM 26.7.5), a virtual interrupt with the
 *    VINTR intercept on SVM (APM 15.21.4).  That exit comes back here,
 *    and the next entry injects.
 *
 * Userspace can also wait for the window itself (request_interrupt_window
 * and THV_EXIT_IRQ_WINDOW), which is what a PIC model needs to know when
 * to acknowledge the next interrupt.
 */
#define pr_fmt(fmt) "thv: " fmt

#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "thv.h"

/* Vectors that push an error code in protected mode (SDM 6.15). */
#define THV_EXC_WITH_ERROR	(BIT(X86_TRAP_DF) | BIT(X86_TRAP_TS) | \
				 BIT(X86_TRAP_NP) | BIT(X86_TRAP_SS) | \
				 BIT(X86_TRAP_GP) | BIT(X86_TRAP_PF) | \
				 BIT(X86_TRAP_AC))
/*
 * Vectors userspace may inject: 0-31 less NMI (2, not an exception: it
 * has its own blocking rules), 15 and 22-31 (reserved, or AMD's #VC/#SX
 * that only make sense with SEV).
 */
#define THV_EXC_INJECTABLE	(GENMASK(21, 0) & ~BIT(X86_TRAP_NMI) & \
				 ~BIT(X86_TRAP_SPURIOUS))

int thv_queue_interrupt(struct thv_vcpu *vcpu,
			const struct thv_interrupt __user *arg)
{
	struct thv_interrupt irq;

	if (copy_from_user(&irq, arg, sizeof(irq)))
		return -EFAULT;
	/* 0-31 are the CPU's exceptions (SDM 6.2): not for an INTR pin. */
	if (irq.vector < 32 || irq.vector > 255 || irq.padding)
		return -EINVAL;
	if (vcpu->irq_queued)
		return -EBUSY;
	vcpu->irq_vector = irq.vector;
	vcpu->irq_queued = true;
	return 0;
}

int thv_queue_exception(struct thv_vcpu *vcpu,
			const struct thv_exception __user *arg)
{
	struct thv_exception exc;
	bool needs_error;

	if (copy_from_user(&exc, arg, sizeof(exc)))
		return -EFAULT;
	if (exc.padding[0] || exc.padding[1] || exc.reserved ||
	    exc.has_error_code > 1)
		return -EINVAL;
	if (exc.vector >= 32 || !(THV_EXC_INJECTABLE & BIT(exc.vector)))
		return -EINVAL;
	needs_error = THV_EXC_WITH_ERROR & BIT(exc.vector);
	if (exc.has_error_code != needs_error)
		return -EINVAL;
	if (vcpu->exc_queued)
		return -EBUSY;
	vcpu->exc = exc;
	vcpu->exc_queued = true;
	return 0;
}

/*
 * Deliver an exception at the next entry.  A #PF writes CR2 as part of
 * its delivery (SDM 4.7, APM 8.4.2): the hardware has not done it for an
 * intercepted or injected one, so we do it here.
 */
void thv_deliver_exception(struct thv_vcpu *vcpu, u8 vector,
			   bool has_error_code, u32 error_code, u64 cr2)
{
	if (vector == X86_TRAP_PF)
		thv_ops->set_cr2(vcpu, cr2);
	thv_ops->inject_exception(vcpu, vector, has_error_code, error_code);
}

static void thv_irq_window(struct thv_vcpu *vcpu, bool on)
{
	if (vcpu->irq_window == on)
		return;
	thv_ops->set_irq_window(vcpu, on);
	vcpu->irq_window = on;
}

/*
 * Called before every entry.  Returns true when userspace asked to hear
 * about an open interrupt window and it is open already: RUN returns
 * THV_EXIT_IRQ_WINDOW without entering the guest.
 */
bool thv_events_before_entry(struct thv_vcpu *vcpu)
{
	bool want_window, irqs;

	if (vcpu->exc_queued && !thv_ops->event_in_flight(vcpu)) {
		thv_deliver_exception(vcpu, vcpu->exc.vector,
				      vcpu->exc.has_error_code,
				      vcpu->exc.error_code, vcpu->exc.cr2);
		vcpu->exc_queued = false;
	}

	/*
	 * While single-stepping, a queued interrupt waits (unless
	 * THV_DEBUG_STEP_IRQS): otherwise every step would end in the
	 * interrupt handler.  It asks for no window meanwhile.
	 */
	irqs = thv_debug_irqs_allowed(vcpu);
	if (vcpu->irq_queued && irqs && thv_ops->interrupt_allowed(vcpu)) {
		thv_ops->inject_irq(vcpu, vcpu->irq_vector);
		vcpu->irq_queued = false;
	}

	want_window = (vcpu->irq_queued && irqs) ||
		      (!vcpu->irq_queued &&
		       READ_ONCE(vcpu->run->request_interrupt_window));
	if (want_window && !vcpu->irq_queued &&
	    thv_ops->interrupt_allowed(vcpu)) {
		thv_irq_window(vcpu, false);
		return true;
	}
	thv_irq_window(vcpu, want_window);
	return false;
}

/*
 * The interrupt window opened.  A queued interrupt goes in at the next
 * entry (thv_events_before_entry); otherwise userspace asked to know.
 */
int thv_handle_irq_window(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	thv_irq_window(vcpu, false);
	if (vcpu->irq_queued || !READ_ONCE(vcpu->run->request_interrupt_window))
		return 1;
	vcpu->run->exit_reason = THV_EXIT_IRQ_WINDOW;
	return 0;
}

/* What userspace needs to decide whether to raise the next interrupt. */
void thv_events_to_user(struct thv_vcpu *vcpu)
{
	struct thv_run *run = vcpu->run;

	run->if_flag = !!(vcpu->rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = !vcpu->irq_queued &&
		thv_ops->interrupt_allowed(vcpu);
}
