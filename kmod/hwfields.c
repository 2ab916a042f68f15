// SPDX-License-Identifier: GPL-2.0
/*
 * hwfields.c - THV_GET_HW_FIELDS: the raw VMCS/VMCB of a vCPU, read only.
 *
 * The hardware's own view.  Everything thv tells the CPU about a guest,
 * and everything the CPU tells thv back at an exit, lives in one
 * structure: the VMCS on Intel (only reachable with VMREAD/VMWRITE, SDM
 * Vol. 3C 25.11), the VMCB on AMD (ordinary memory, APM Vol. 2 15.5 and
 * appendix B).  This ioctl copies out every field thv uses, with its
 * name, so that the stepper's "vmcs"/"vmcb" command can show a student
 * the real thing next to thv's neutral struct thv_run.
 *
 * The backend lists its fields in a static table and reads them
 * (svm/fields.c, vmx/fields.c); this file checks the arguments and does
 * the copying.  Nothing can be written through it.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "thv.h"

int thv_get_hw_fields(struct thv_vcpu *vcpu, struct thv_hw_fields __user *arg)
{
	struct thv_hw_fields hdr;
	struct thv_hw_field *f;
	int n, ret;

	if (copy_from_user(&hdr, arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.padding)
		return -EINVAL;
	if (!thv_ops->get_hw_fields)
		return -ENOTTY;

	f = kvcalloc(THV_HW_FIELDS_MAX, sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	n = thv_ops->get_hw_fields(vcpu, f);
	if (n < 0) {
		ret = n;
		goto out;
	}

	/* Too small a buffer: say how big it must be, write nothing else. */
	if (hdr.nfields < n) {
		ret = put_user(n, &arg->total) ? -EFAULT : -E2BIG;
		goto out;
	}
	hdr.nfields = n;
	hdr.total = n;
	hdr.backend = thv_ops->backend;
	ret = -EFAULT;
	if (copy_to_user(arg->fields, f, n * sizeof(*f)))
		goto out;
	if (copy_to_user(arg, &hdr, sizeof(hdr)))
		goto out;
	ret = 0;
out:
	kvfree(f);
	return ret;
}

/* Fill one entry of the answer from a table row and the value read. */
void thv_hw_field_set(struct thv_hw_field *out,
		      const struct thv_hw_field_desc *d, u64 value)
{
	memset(out, 0, sizeof(*out));
	out->encoding = d->encoding;
	out->width = d->width;
	out->area = d->area;
	out->value = value;
	strscpy(out->name, d->name, sizeof(out->name));
}
