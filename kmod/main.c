// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - module load and unload, and the /dev/thv system ioctls.
 *
 * TOUR(1 thv_init): Loading thv.ko.  A hypervisor is, first of all, a kernel
 * module that switches on a CPU feature.  thv_init() asks the backend whether
 * the CPU has what thv needs (SVM with nested paging, or VMX with EPT), then
 * turns the feature on on every CPU (EFER.SVME / VMXON) through the CPU
 * hotplug machinery, so CPUs that come online later get it too.  Only when all
 * of that worked does /dev/thv appear: the step that makes us visible comes
 * last, and unloading is the same code backwards.
 */
#define pr_fmt(fmt) "thv: " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/cpuhotplug.h>
#include <linux/uaccess.h>
#include "thv.h"

/* The ABI is shared with 64-bit userspace: pin its layout (uapi/thv.h). */
static_assert(sizeof(struct thv_caps) == 72);
static_assert(sizeof(struct thv_memory_region) == 32);
static_assert(sizeof(struct thv_regs) == 18 * 8);
static_assert(sizeof(struct thv_segment) == 24);
static_assert(sizeof(struct thv_dtable) == 16);
static_assert(sizeof(struct thv_sregs) == 304);
static_assert(offsetof(struct thv_run, exit_reason) == 8);
static_assert(offsetof(struct thv_run, io) == 72);
static_assert(sizeof(struct thv_run) == 328);
static_assert(offsetof(struct thv_run, ready_for_interrupt_injection) == 56);
static_assert(offsetof(struct thv_run, mmio.user_decode) == 72 + 37);
static_assert(sizeof(struct thv_interrupt) == 8);
static_assert(sizeof(struct thv_exception) == 24);
static_assert(sizeof(struct thv_run) <= THV_RUN_IO_DATA_OFFSET);
static_assert(THV_RUN_IO_DATA_OFFSET + THV_RUN_IO_DATA_MAX <= THV_RUN_SIZE);
static_assert(sizeof(struct thv_exit_stats) == 16 + 2 * 32 * 8);
static_assert(offsetof(struct thv_exit_stats, count) == 16);
static_assert(offsetof(struct thv_exit_stats, ns) == 16 + 32 * 8);
static_assert(THV_KIND_NR <= 32);
static_assert(sizeof(struct thv_hw_field) == 56);
static_assert(offsetof(struct thv_hw_field, value) == 8);
static_assert(offsetof(struct thv_hw_field, name) == 16);
static_assert(sizeof(struct thv_hw_fields) == 16);
static_assert(offsetof(struct thv_hw_fields, fields) == 16);

const struct thv_backend_ops *thv_ops;
struct thv_caps thv_caps;
static enum cpuhp_state thv_cpuhp_state;

static long thv_dev_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case THV_GET_API_VERSION:
		return arg ? -EINVAL : THV_API_VERSION;
	case THV_GET_CAPS:
		if (copy_to_user((void __user *)arg, &thv_caps,
				 sizeof(thv_caps)))
			return -EFAULT;
		return 0;
	case THV_CREATE_VM:
		if (arg)
			return -EINVAL;
		return thv_vm_create_fd();
	case THV_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : THV_RUN_SIZE;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations thv_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= thv_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice thv_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "thv",
	.fops	= &thv_dev_fops,
	.mode	= 0600,
};

static int thv_cpu_online(unsigned int cpu)
{
	return thv_ops->cpu_enable(cpu);
}

static int thv_cpu_offline(unsigned int cpu)
{
	return thv_ops->cpu_disable(cpu);
}

static const struct thv_backend_ops *thv_pick_backend(void)
{
	if (boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
	    boot_cpu_data.x86_vendor == X86_VENDOR_HYGON)
		return &thv_svm_ops;
	if (boot_cpu_data.x86_vendor == X86_VENDOR_INTEL ||
	    boot_cpu_data.x86_vendor == X86_VENDOR_CENTAUR ||
	    boot_cpu_data.x86_vendor == X86_VENDOR_ZHAOXIN)
		return &thv_vmx_ops;
	return NULL;
}

static int __init thv_init(void)
{
	int ret;

	thv_ops = thv_pick_backend();
	if (!thv_ops) {
		pr_err("no supported backend for this CPU vendor (thv knows Intel VMX and AMD SVM)\n");
		return -ENODEV;
	}

	thv_fpu_setup();
	thv_stats_setup();
	ret = thv_ops->hardware_setup(&thv_caps);
	if (ret)
		return ret;	/* the backend printed the one clear line */
	thv_caps.backend = thv_ops->backend;
	thv_caps.max_vcpus = THV_MAX_VCPUS;
	thv_caps.max_mem_slots = THV_MAX_SLOTS;
	thv_caps.max_mem_bytes = THV_MAX_MEM_BYTES;

	/* Runs thv_cpu_online() on every CPU now, and on hotplug later. */
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "thv:online",
				thv_cpu_online, thv_cpu_offline);
	if (ret < 0)
		goto undo_hardware_setup;
	thv_cpuhp_state = ret;

	/* /sys/kernel/debug/thv; without debugfs thv works all the same. */
	thv_debugfs_init();

	ret = misc_register(&thv_dev);
	if (ret)
		goto undo_debugfs;

	pr_info("%s backend ready, /dev/thv created\n", thv_ops->name);
	return 0;

undo_debugfs:
	thv_debugfs_exit();
	cpuhp_remove_state(thv_cpuhp_state);
undo_hardware_setup:
	thv_ops->hardware_unsetup();
	return ret;
}

static void __exit thv_exit(void)
{
	misc_deregister(&thv_dev);
	thv_debugfs_exit();
	cpuhp_remove_state(thv_cpuhp_state);
	thv_ops->hardware_unsetup();
	pr_info("unloaded\n");
}

module_init(thv_init);
module_exit(thv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("thv: the teaching hypervisor (Intel VMX and AMD SVM)");
