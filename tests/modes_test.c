// SPDX-License-Identifier: GPL-2.0
/*
 * modes_test.c - guests in 64-bit long mode and in 32-bit PAE paging,
 * and MMIO through the guest's own page tables.
 *
 * thv_vcpu_set_long64() (libthv) starts a vCPU the way a 64-bit boot
 * loader leaves it: paging on with an identity map of the first 4 GiB in
 * 2 MiB pages, CR4.PAE, EFER.LME|LMA, a GDT in guest memory and CS.L = 1.
 * These tests check that state from inside the guest, that IRETQ can
 * reload CS and SS from that GDT, and that MMIO works in long mode:
 * the kernel fetches the faulting instruction by walking the guest's
 * page tables (kmod/emulate.c), which the last test makes visible by
 * running the code at a virtual address that is not its physical one.
 */
#include "kselftest_harness.h"
#include "test_util.h"

#define MODES_MEM_SIZE		0x10000UL
#define MODES_TABLES_GPA	(MODES_MEM_SIZE - THV_LONG64_TABLES_SIZE)
/* Above RAM, inside the identity map: an MMIO access. */
#define MODES_MMIO_GPA		0x20000UL
/*
 * An alias of the first 2 MiB at 513 GiB: PML4 entry 1 -> a second PDPT
 * (at MODES_PDPT2_GPA) whose entry 1 -> the page directory of the first
 * GiB.  Neither the address nor its low 32 bits equal the physical one.
 */
#define MODES_ALIAS		0x8040000000ULL
#define MODES_PDPT2_GPA		0x8000UL

FIXTURE(modes) {
	struct thv_vm vm;
};

FIXTURE_SETUP(modes)
{
	THV_REQUIRE_DEV();
	vm_create(_metadata, &self->vm, MODES_MEM_SIZE);
}

FIXTURE_TEARDOWN(modes)
{
	thv_vm_destroy(&self->vm);
}

static void guest_start_long64(struct __test_metadata *_metadata,
			       struct thv_vm *vm, const unsigned char *start,
			       const unsigned char *end)
{
	int ret;

	guest_load(_metadata, vm, start, end);
	ret = thv_vcpu_set_long64(vm, GUEST_CODE_GPA, GUEST_STACK_TOP,
				  MODES_TABLES_GPA);
	ASSERT_EQ(0, ret) TH_LOG("set long mode: expected 0, got %d (%s)",
				 ret, strerror(-ret));
}

/* ------------------------------------------------------------------ */
/* The entry state, seen from inside.                                  */

GUEST_CODE64(long64_state,
	"mov %cr0, %rax\n"
	G_REPORT_EAX
	"mov %cr4, %rax\n"
	G_REPORT_EAX
	"mov %cs, %eax\n"
	G_REPORT_EAX
	/* 64-bit registers: the high half of a 64-bit immediate */
	"movabs $0x123456789abcdef0, %rax\n"
	"shr $32, %rax\n"
	G_REPORT_EAX
	/* the stack, with 8-byte pushes */
	"pushq $0x600df00d\n"
	"popq %rax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(modes, long64_entry_state)
{
	struct thv_sregs sregs;
	uint32_t got;
	int ret;

	guest_start_long64(_metadata, &self->vm, long64_state_start,
			   long64_state_end);
	ret = thv_get_sregs(&self->vm, &sregs);
	ASSERT_EQ(0, ret) TH_LOG("GET_SREGS: %s", strerror(-ret));
	EXPECT_EQ(0x500, sregs.efer & 0x500)
		TH_LOG("EFER.LME|LMA should be set, EFER=0x%llx",
		       (unsigned long long)sregs.efer);

	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x80000001, got & 0x80000001)
		TH_LOG("CR0.PG and CR0.PE should be set, CR0=0x%x", got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x20, got & 0x20) TH_LOG("CR4.PAE should be set, CR4=0x%x",
					   got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x8, got) TH_LOG("CS should be 0x8, got 0x%x", got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x12345678, got)
		TH_LOG("64-bit RAX: expected 0x12345678 from the high half, got 0x%x",
		       got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x600df00d, got)
		TH_LOG("push/pop: expected 0x600df00d, got 0x%x", got);
	guest_expect_hlt(_metadata, &self->vm);
}

/*
 * IRETQ pops RIP, CS, RFLAGS, RSP and SS and loads CS and SS from the
 * GDT (APM Vol. 2 8.9.3): without a GDT in guest memory it would fault.
 */
GUEST_SYMBOL(iretq_target);
GUEST_CODE64(long64_iretq,
	"mov %rsp, %rax\n"
	"pushq $0x10\n"			/* SS */
	"pushq %rax\n"			/* RSP */
	"pushfq\n"
	"pushq $0x8\n"			/* CS */
	"lea iretq_target(%rip), %rax\n"
	"pushq %rax\n"			/* RIP */
	"iretq\n"
	"hlt\n"				/* not reached */
	GUEST_LABEL(iretq_target)
	"mov %ss, %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(modes, long64_iretq_uses_gdt)
{
	struct thv_run *run;
	uint32_t got;

	guest_start_long64(_metadata, &self->vm, long64_iretq_start,
			   long64_iretq_end);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x10, got) TH_LOG("SS after IRETQ: expected 0x10, got 0x%x",
				    got);
	run = guest_expect_hlt(_metadata, &self->vm);
	EXPECT_LT(guest_rip(long64_iretq, iretq_target), run->exit_rip)
		TH_LOG("the HLT at 0x%llx should be after the IRETQ target",
		       (unsigned long long)run->exit_rip);
}

/* ------------------------------------------------------------------ */
/* MMIO in long mode: REX.W stores, 32-bit loads, moffs64.             */

GUEST_CODE64(long64_mmio,
	"movabs $0x1122334455667788, %rax\n"
	"mov %rax, 0x20000\n"		/* REX.W 89 04 25 disp32: 8 bytes */
	"mov 0x20000, %ebx\n"		/* 8b 1c 25 disp32: 4 bytes */
	"mov %ebx, %eax\n"
	G_REPORT_EAX
	"movabs 0x20008, %al\n"		/* a0 moffs64: 1 byte */
	G_REPORT_EAX
	"hlt\n");

TEST_F(modes, long64_mmio)
{
	struct thv_run *run;
	uint64_t data = 0;
	uint32_t got;

	guest_start_long64(_metadata, &self->vm, long64_mmio_start,
			   long64_mmio_end);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
	EXPECT_EQ(MODES_MMIO_GPA, run->mmio.phys_addr)
		TH_LOG("write: expected 0x%lx, got 0x%llx", MODES_MMIO_GPA,
		       (unsigned long long)run->mmio.phys_addr);
	EXPECT_EQ(1, run->mmio.is_write);
	ASSERT_EQ(8, run->mmio.len) TH_LOG("REX.W store: expected 8 bytes, got %u",
					   run->mmio.len);
	memcpy(&data, run->mmio.data, 8);
	EXPECT_EQ(0x1122334455667788ULL, data)
		TH_LOG("expected 0x1122334455667788, got 0x%llx",
		       (unsigned long long)data);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
	EXPECT_EQ(0, run->mmio.is_write);
	ASSERT_EQ(4, run->mmio.len) TH_LOG("32-bit load: expected 4 bytes, got %u",
					   run->mmio.len);
	data = 0xcafef00d;
	memcpy(run->mmio.data, &data, 4);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0xcafef00d, got) TH_LOG("load landed as 0x%x", got);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
	EXPECT_EQ(MODES_MMIO_GPA + 8, run->mmio.phys_addr);
	ASSERT_EQ(1, run->mmio.len) TH_LOG("moffs64 byte load: got %u bytes",
					   run->mmio.len);
	run->mmio.data[0] = 0x5a;
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x5a, got & 0xff) TH_LOG("AL after the load: 0x%x", got);
	guest_expect_hlt(_metadata, &self->vm);
}

/*
 * Code that runs at a virtual address 513 GiB above its physical one.
 * The MMIO exit reports exit_rip = that virtual address; to find out
 * which register to fill, thv.ko must read the instruction there, and
 * can only find it by walking the guest's PML4 -> PDPT -> PD.  A kernel
 * that took the RIP as a physical address would read nothing (or the
 * wrong bytes) and report an emulation failure.
 */
GUEST_SYMBOL(alias_code);
GUEST_SYMBOL(alias_load);
GUEST_CODE64(long64_alias,
	"movabs $0x8040000000, %rax\n"
	"lea alias_code(%rip), %rbx\n"
	"add %rbx, %rax\n"
	"jmp *%rax\n"
	GUEST_LABEL(alias_code)
	"lea 0(%rip), %rax\n"		/* where are we now? */
	"shr $30, %rax\n"
	G_REPORT_EAX
	GUEST_LABEL(alias_load)
	"mov 0x20010, %ecx\n"
	"mov %ecx, %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(modes, long64_mmio_through_guest_page_tables)
{
	uint64_t *pml4, *pdpt2, want_rip;
	struct thv_run *run;
	uint32_t got, val = 0x7e57ab1e;

	guest_start_long64(_metadata, &self->vm, long64_alias_start,
			   long64_alias_end);
	pml4 = thv_gpa_to_hva(&self->vm, MODES_TABLES_GPA);
	pdpt2 = thv_gpa_to_hva(&self->vm, MODES_PDPT2_GPA);
	ASSERT_NE(NULL, pml4);
	ASSERT_NE(NULL, pdpt2);
	/* Present | writable; the first PD is at tables + 0x2000. */
	pdpt2[1] = (MODES_TABLES_GPA + 0x2000) | 3;
	pml4[1] = MODES_PDPT2_GPA | 3;

	got = guest_report(_metadata, &self->vm);
	ASSERT_EQ(MODES_ALIAS >> 30, got)
		TH_LOG("the guest should run at 513 GiB: RIP >> 30 = 0x%x",
		       got);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
	want_rip = MODES_ALIAS + guest_rip(long64_alias, alias_load);
	EXPECT_EQ(want_rip, run->exit_rip)
		TH_LOG("exit_rip: expected 0x%llx, got 0x%llx",
		       (unsigned long long)want_rip,
		       (unsigned long long)run->exit_rip);
	EXPECT_EQ(MODES_MMIO_GPA + 0x10, run->mmio.phys_addr);
	ASSERT_EQ(4, run->mmio.len) TH_LOG("expected 4 bytes, got %u",
					   run->mmio.len);
	EXPECT_LE(7, run->mmio.insn_len)
		TH_LOG("the kernel fetched %u instruction bytes", run->mmio.insn_len);
	memcpy(run->mmio.data, &val, 4);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(val, got) TH_LOG("the load went to ECX: expected 0x%x, got 0x%x",
				   val, got);
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* 32-bit PAE paging: the four PDPTEs.                                 */

/*
 * PAE paging keeps its four PDPT entries in registers, loaded when CR3
 * is written or paging is turned on (SDM Vol. 3A 4.4.1).  Under EPT a VM
 * entry takes them from the VMCS, not from memory (SDM 27.3.2.4), so a
 * hypervisor that emulates the guest's MOV to CR0 / CR4 (thv owns CR0.PG
 * and CR4 on VMX) or takes PAE state from userspace must load them
 * itself.  Tables: PDPT at 0x8000, one page directory at 0x9000 mapping
 * linear 0 and linear 2 MiB both to physical 0 (2 MiB pages), so that a
 * load from 2 MiB + 0xa000 reads the host's value at physical 0xa000.
 */
#define PAE_PDPT_GPA	0x8000UL
#define PAE_PD_GPA	0x9000UL
#define PAE_VALUE_GPA	0xa000UL
#define PAE_ALIAS	0x200000UL
#define PAE_VALUE	0x9ae32ab1U

static void pae_tables(struct __test_metadata *_metadata, struct thv_vm *vm)
{
	uint64_t *pdpt = thv_gpa_to_hva(vm, PAE_PDPT_GPA);
	uint64_t *pd = thv_gpa_to_hva(vm, PAE_PD_GPA);
	uint32_t *value = thv_gpa_to_hva(vm, PAE_VALUE_GPA);

	ASSERT_NE(NULL, pdpt);
	ASSERT_NE(NULL, pd);
	ASSERT_NE(NULL, value);
	memset(pdpt, 0, 32);
	memset(pd, 0, 4096);
	pdpt[0] = PAE_PD_GPA | 1;	/* present; a PDPTE has no R/W, U/S */
	pd[0] = 0x83;			/* physical 0: present, writable, 2M */
	pd[1] = 0x83;			/* linear 2 MiB: physical 0 again */
	*value = PAE_VALUE;
}

/* Turn PAE paging on from protected mode, then load through the alias. */
GUEST_CODE32(pae32_on,
	"mov %cr4, %eax\n"
	"or $0xb0, %eax\n"		/* CR4.PSE | PAE | PGE */
	"mov %eax, %cr4\n"
	"mov $0x8000, %eax\n"
	"mov %eax, %cr3\n"
	"mov %cr0, %eax\n"
	"or $0x80010000, %eax\n"	/* CR0.PG | WP */
	"mov %eax, %cr0\n"
	"mov %cr0, %eax\n"
	G_REPORT_EAX
	"mov 0x20a000, %eax\n"
	G_REPORT_EAX
	"hlt\n");

static void pae_expect_alias(struct __test_metadata *_metadata,
			     struct thv_vm *vm)
{
	uint32_t got = guest_report(_metadata, vm);

	ASSERT_EQ(PAE_VALUE, got)
		TH_LOG("load from linear 0x%lx: expected 0x%x (physical 0x%lx), got 0x%x",
		       PAE_ALIAS + PAE_VALUE_GPA, PAE_VALUE, PAE_VALUE_GPA,
		       got);
	guest_expect_hlt(_metadata, vm);
}

TEST_F(modes, pae32_guest_turns_paging_on)
{
	uint32_t cr0;

	pae_tables(_metadata, &self->vm);
	guest_start_flat32(_metadata, &self->vm, pae32_on_start,
			   pae32_on_end);
	cr0 = guest_report(_metadata, &self->vm);
	ASSERT_EQ(0x80010001U, cr0 & 0x80010001U)
		TH_LOG("CR0 after MOV: 0x%x, expected PG, WP and PE", cr0);
	pae_expect_alias(_metadata, &self->vm);
}

/* The same state set from userspace (THV_SET_SREGS): just the load. */
GUEST_CODE32(pae32_load,
	"mov 0x20a000, %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(modes, pae32_state_from_userspace)
{
	struct thv_sregs sregs;
	int ret;

	pae_tables(_metadata, &self->vm);
	guest_start_flat32(_metadata, &self->vm, pae32_load_start,
			   pae32_load_end);
	ASSERT_EQ(0, thv_get_sregs(&self->vm, &sregs));
	sregs.cr0 |= 0x80010000;		/* PG | WP */
	sregs.cr4 |= 0xb0;			/* PSE | PAE | PGE */
	sregs.cr3 = PAE_PDPT_GPA;
	ret = thv_set_sregs(&self->vm, &sregs);
	ASSERT_EQ(0, ret) TH_LOG("THV_SET_SREGS with PAE paging: %s",
				 strerror(-ret));
	pae_expect_alias(_metadata, &self->vm);
}

/*
 * A PDPTE with a reserved bit set.  Bit 63 (NX's place in other entries)
 * is reserved in a PAE PDPTE on both vendors (SDM Table 4-8, APM Vol. 2
 * 5.3.3); bits 2:1 and 8:5 are too, but QEMU's SVM model does not check
 * those on a walk, so only VMX tests them.  The vendors differ here, and
 * the tests say how:
 *   VMX   the PDPTEs are loaded by the MOV that turns PAE paging on (or
 *         by THV_SET_SREGS), so that MOV gets #GP and never happens, and
 *         THV_SET_SREGS returns -EINVAL (SDM Vol. 3A 4.4.1).  thv checks
 *         them itself before it writes the VMCS: VM entry would refuse
 *         them (SDM 27.3.1.6), and a guest's mistake must not look like
 *         the hypervisor's.
 *   SVM   with nested paging the CPU keeps no PDPTEs: it reads them on
 *         every walk.  The MOV succeeds and the next access through the
 *         bad entry takes #PF (reserved bit).
 * Either way this guest has no IDT, so the fault ends in a triple fault.
 */
#define PAE_PDPTE_RSVD	(1ULL << 63)

static bool on_vmx(struct __test_metadata *_metadata)
{
	struct thv_caps caps;

	get_caps(_metadata, &caps);
	return caps.backend == THV_BACKEND_VMX;
}

static void expect_shutdown_cr0(struct __test_metadata *_metadata,
				struct thv_vm *vm, bool paging)
{
	struct thv_sregs sregs;

	vcpu_run_expect(_metadata, vm, THV_EXIT_SHUTDOWN);
	ASSERT_EQ(0, thv_get_sregs(vm, &sregs));
	ASSERT_EQ(paging, !!(sregs.cr0 & 0x80000000))
		TH_LOG("CR0 0x%llx at the triple fault: expected PG %s",
		       (unsigned long long)sregs.cr0, paging ? "set" : "clear");
}

TEST_F(modes, pae32_guest_mov_with_reserved_pdpte_bit)
{
	uint64_t *pdpt = thv_gpa_to_hva(&self->vm, PAE_PDPT_GPA);

	pae_tables(_metadata, &self->vm);
	pdpt[0] |= PAE_PDPTE_RSVD;
	guest_start_flat32(_metadata, &self->vm, pae32_on_start,
			   pae32_on_end);
	/* VMX: the MOV to CR0 faulted, PG stays clear; SVM: it happened. */
	expect_shutdown_cr0(_metadata, &self->vm, !on_vmx(_metadata));
}

static int pae32_sregs(struct __test_metadata *_metadata, struct thv_vm *vm,
		       uint64_t cr3)
{
	struct thv_sregs sregs;

	guest_start_flat32(_metadata, vm, pae32_load_start, pae32_load_end);
	if (thv_get_sregs(vm, &sregs))
		return -EIO;
	sregs.cr0 |= 0x80010000;		/* PG | WP */
	sregs.cr4 |= 0xb0;			/* PSE | PAE | PGE */
	sregs.cr3 = cr3;
	return thv_set_sregs(vm, &sregs);
}

TEST_F(modes, pae32_state_with_reserved_pdpte_bit)
{
	static const uint64_t vmx_rsvd[] = { 1ULL << 1, 1ULL << 5, 1ULL << 8 };
	uint64_t *pdpt = thv_gpa_to_hva(&self->vm, PAE_PDPT_GPA);
	struct thv_run *run;
	unsigned int i;
	int ret;

	pae_tables(_metadata, &self->vm);
	if (on_vmx(_metadata)) {
		for (i = 0; i < ARRAY_SIZE(vmx_rsvd); i++) {
			pdpt[3] = PAE_PD_GPA | 1 | vmx_rsvd[i];
			ret = pae32_sregs(_metadata, &self->vm, PAE_PDPT_GPA);
			ASSERT_EQ(-EINVAL, ret)
				TH_LOG("THV_SET_SREGS, PDPTE 3 = 0x%llx: got %d (%s)",
				       (unsigned long long)pdpt[3], ret,
				       strerror(-ret));
		}
		/* Not present: its other bits are the OS's to use. */
		pdpt[3] = vmx_rsvd[0];
		ASSERT_EQ(0, pae32_sregs(_metadata, &self->vm, PAE_PDPT_GPA));
		pdpt[3] = 0;
	}
	pdpt[0] |= PAE_PDPTE_RSVD;
	ret = pae32_sregs(_metadata, &self->vm, PAE_PDPT_GPA);
	if (on_vmx(_metadata)) {
		ASSERT_EQ(-EINVAL, ret)
			TH_LOG("THV_SET_SREGS, PDPTE 0 bit 63 set: got %d (%s)",
			       ret, strerror(-ret));
		/*
		 * Nothing was set: paging is still off, so the load reads
		 * guest-physical 0x20a000, which is no RAM: an MMIO exit.
		 */
		run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
		EXPECT_EQ(PAE_ALIAS + PAE_VALUE_GPA, run->mmio.phys_addr);
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("THV_SET_SREGS (SVM): %s", strerror(-ret));
	expect_shutdown_cr0(_metadata, &self->vm, true);
}

/*
 * A PDPT that no guest RAM backs: VMX cannot load it, THV_SET_SREGS says
 * -EINVAL.  SVM reads it on the first walk, the instruction fetch, whose
 * nested page fault is outside guest RAM: thv cannot fetch the code and
 * stops the VM with the address it could not read.
 */
#define PAE_PDPT_NOT_RAM	0x40000000UL

TEST_F(modes, pae32_state_with_pdpt_outside_ram)
{
	struct thv_run *run;
	int ret;

	pae_tables(_metadata, &self->vm);
	ret = pae32_sregs(_metadata, &self->vm, PAE_PDPT_NOT_RAM);
	if (on_vmx(_metadata)) {
		ASSERT_EQ(-EINVAL, ret)
			TH_LOG("THV_SET_SREGS, CR3 at 1 GiB: got %d (%s)",
			       ret, strerror(-ret));
		return;
	}
	ASSERT_EQ(0, ret) TH_LOG("THV_SET_SREGS (SVM): %s", strerror(-ret));
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(THV_INTERNAL_EMULATION, run->internal.suberror);
	EXPECT_EQ(PAE_PDPT_NOT_RAM, run->internal.data[4]);
}

/* ------------------------------------------------------------------ */
/* String I/O in long mode: 64-bit addresses through the page tables.  */

/*
 * REP OUTSL from a virtual address (the alias at 513 GiB) the kernel
 * must translate through the guest's tables, then OUTSB from an address
 * no PML4 entry maps: the kernel cannot read it and says so.
 */
GUEST_CODE64(long64_strio,
	"mov $0xe9, %edx\n"
	"movabs $0x8040005000, %rsi\n"
	"mov $2, %ecx\n"
	"rep outsl\n"
	"mov %rsi, %rax\n"
	"shr $30, %rax\n"
	G_REPORT_EAX
	"mov %esi, %eax\n"
	G_REPORT_EAX
	"movabs $0x10000000000, %rsi\n"	/* 1 TiB: PML4 entry 2, not present */
	"outsb\n"
	"hlt\n");

TEST_F(modes, long64_string_io_through_guest_page_tables)
{
	uint64_t *pml4, *pdpt2;
	uint8_t *data, *ram;
	struct thv_run *run;
	uint32_t got;

	guest_start_long64(_metadata, &self->vm, long64_strio_start,
			   long64_strio_end);
	pml4 = thv_gpa_to_hva(&self->vm, MODES_TABLES_GPA);
	pdpt2 = thv_gpa_to_hva(&self->vm, MODES_PDPT2_GPA);
	ram = thv_gpa_to_hva(&self->vm, GUEST_DATA_GPA);
	ASSERT_NE(NULL, ram);
	pdpt2[1] = (MODES_TABLES_GPA + 0x2000) | 3;
	pml4[1] = MODES_PDPT2_GPA | 3;
	memcpy(ram, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
	EXPECT_EQ(0xe9, run->io.port);
	EXPECT_EQ(4, run->io.size);
	ASSERT_EQ(2, run->io.count) TH_LOG("count %u", run->io.count);
	data = thv_io_data(&self->vm);
	EXPECT_EQ(0, memcmp(data, ram, 8)) TH_LOG("the alias was not translated");
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(MODES_ALIAS >> 30, got) TH_LOG("RSI >> 30 = 0x%x", got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x40005008, got) TH_LOG("ESI = 0x%x", got);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(THV_INTERNAL_STRING_IO, run->internal.suberror);
	EXPECT_EQ(0x10000000000ULL, run->internal.data[4])
		TH_LOG("data[4] should name the address: 0x%llx",
		       (unsigned long long)run->internal.data[4]);
}

/* ------------------------------------------------------------------ */
/* MSRs: the guest's own in the kernel, the rest in userspace.         */

/*
 * LSTAR is the guest's: a write and a read never leave the kernel, and
 * the host (this process, which makes system calls right after) keeps
 * its own.  MSR 0x1234 is unknown to thv.ko: both accesses come to us
 * as THV_EXIT_MSR; the read gets our value, the write our "error",
 * which must arrive as #GP (vector 13, error code 0) at a handler.
 */
GUEST_SYMBOL(msr_gp_handler);
GUEST_CODE64(long64_msr,
	/* An IDT with one gate, #GP. */
	G_IDT_GATE(msr_idt, 13, msr_gp_handler)
	"lea msr_idt(%rip), %rax\n"
	"mov %rax, msr_idtr + 2(%rip)\n"
	"lidt msr_idtr(%rip)\n"
	/* LSTAR: write and read back, in the kernel */
	"mov $0xc0000082, %ecx\n"
	"mov $0x12345000, %eax\n"
	"mov $0xffff8000, %edx\n"
	"wrmsr\n"
	"xor %eax, %eax\n"
	"xor %edx, %edx\n"
	"rdmsr\n"
	G_REPORT_EAX
	"mov %edx, %eax\n"
	G_REPORT_EAX
	/* MSR 0x1234: to userspace */
	"mov $0x1234, %ecx\n"
	"rdmsr\n"
	G_REPORT_EAX
	"mov %edx, %eax\n"
	G_REPORT_EAX
	"mov $0x12345678, %eax\n"
	"mov $0xdeadbeef, %edx\n"
	"wrmsr\n"				/* userspace says #GP */
	"hlt\n"				/* not reached */
	GUEST_LABEL(msr_gp_handler)
	"pop %rax\n"				/* the error code */
	G_REPORT_EAX
	"mov $0x6b, %eax\n"
	G_REPORT_EAX
	"hlt\n"
	".p2align 4\n"
	"msr_idt: .fill 14 * 16, 1, 0\n"
	"msr_idtr: .word 14 * 16 - 1\n"
	".quad 0\n");

TEST_F(modes, long64_msr_kernel_and_userspace)
{
	struct thv_run *run;
	uint32_t got;

	guest_start_long64(_metadata, &self->vm, long64_msr_start,
			   long64_msr_end);

	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x12345000, got) TH_LOG("LSTAR[31:0] read back as 0x%x", got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0xffff8000, got) TH_LOG("LSTAR[63:32] read back as 0x%x", got);
	/*
	 * The THV_RUN ioctls below are system calls on this CPU: with the
	 * guest's LSTAR left in the host they would jump to 0xffff800012345000.
	 */

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MSR);
	EXPECT_EQ(0x1234, run->msr.index);
	EXPECT_EQ(0, run->msr.is_write);
	run->msr.data = 0x1122334455667788ULL;
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x55667788, got) TH_LOG("EAX after RDMSR: 0x%x", got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x11223344, got) TH_LOG("EDX after RDMSR: 0x%x", got);

	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MSR);
	EXPECT_EQ(0x1234, run->msr.index);
	EXPECT_EQ(1, run->msr.is_write);
	EXPECT_EQ(0xdeadbeef12345678ULL, run->msr.data)
		TH_LOG("WRMSR data: 0x%llx", (unsigned long long)run->msr.data);
	run->msr.error = 1;
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0, got) TH_LOG("#GP error code: 0x%x", got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x6b, got) TH_LOG("the #GP handler did not run (0x%x)", got);
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* Exceptions userspace intercepts: see, fix and retry, or re-inject.  */

GUEST_SYMBOL(exc_pf_load);
GUEST_SYMBOL(exc_div);
GUEST_CODE64(long64_exc,
	G_IDT_GATE(exc_idt, 0, exc_de_handler)
	G_IDT_GATE(exc_idt, 14, exc_pf_handler)
	"lea exc_idt(%rip), %rax\n"
	"mov %rax, exc_idtr + 2(%rip)\n"
	"lidt exc_idtr(%rip)\n"
	/* 1: a #PF the host fixes by mapping the page: the load is retried */
	"movabs $0x8040005000, %rbx\n"
	GUEST_LABEL(exc_pf_load)
	"mov (%rbx), %eax\n"
	G_REPORT_EAX
	/* 2: a #DE the host re-injects: our handler runs */
	"xor %ecx, %ecx\n"
	GUEST_LABEL(exc_div)
	"div %ecx\n"
	"hlt\n"				/* not reached */
	"exc_de_handler:\n"
	"mov $0xde, %eax\n"
	G_REPORT_EAX
	/* 3: a #PF the host re-injects: CR2 must name the address */
	"movabs $0x10000000123, %rbx\n"
	"mov (%rbx), %eax\n"
	"hlt\n"				/* not reached */
	"exc_pf_handler:\n"
	"pop %rax\n"			/* error code */
	G_REPORT_EAX
	"mov %cr2, %rax\n"
	G_REPORT_EAX
	"shr $32, %rax\n"
	G_REPORT_EAX
	"hlt\n"
	".p2align 4\n"
	"exc_idt: .fill 15 * 16, 1, 0\n"
	"exc_idtr: .word 15 * 16 - 1\n"
	".quad 0\n");

static void set_exc_intercepts(struct __test_metadata *_metadata,
			       struct thv_vm *vm, uint32_t vectors, int want)
{
	struct thv_exception_intercepts x = { .vectors = vectors };
	int ret = ioctl(vm->vcpu_fd, THV_SET_EXCEPTION_INTERCEPTS, &x);

	ASSERT_EQ(want, ret ? -errno : 0)
		TH_LOG("THV_SET_EXCEPTION_INTERCEPTS 0x%x: %s", vectors,
		       strerror(errno));
}

TEST_F(modes, long64_exception_intercepts)
{
	uint64_t *pml4, *pdpt2;
	uint32_t *ram, got;
	struct thv_run *run;

	guest_start_long64(_metadata, &self->vm, long64_exc_start,
			   long64_exc_end);
	ram = thv_gpa_to_hva(&self->vm, GUEST_DATA_GPA);
	*ram = 0x0badc0de;
	set_exc_intercepts(_metadata, &self->vm,
			   (1u << 0) | (1u << 14), 0);

	/* 1: not present: PML4[1] is empty until we fill it. */
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_EXCEPTION);
	EXPECT_EQ(14, run->exception.vector);
	EXPECT_EQ(1, run->exception.has_error_code);
	EXPECT_EQ(0, run->exception.error_code)
		TH_LOG("#PF error code 0x%x (want 0: not present, read, CPL 0)",
		       run->exception.error_code);
	EXPECT_EQ(0x8040005000ULL, run->exception.cr2)
		TH_LOG("cr2 0x%llx", (unsigned long long)run->exception.cr2);
	EXPECT_EQ(guest_rip(long64_exc, exc_pf_load), run->exit_rip);
	pml4 = thv_gpa_to_hva(&self->vm, MODES_TABLES_GPA);
	pdpt2 = thv_gpa_to_hva(&self->vm, MODES_PDPT2_GPA);
	pdpt2[1] = (MODES_TABLES_GPA + 0x2000) | 3;
	pml4[1] = MODES_PDPT2_GPA | 3;
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x0badc0de, got) TH_LOG("the retried load read 0x%x", got);

	/* 2: #DE, no error code, re-injected into the guest's handler. */
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_EXCEPTION);
	EXPECT_EQ(0, run->exception.vector);
	EXPECT_EQ(0, run->exception.has_error_code);
	EXPECT_EQ(guest_rip(long64_exc, exc_div), run->exit_rip);
	run->exception.reinject = 1;
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0xde, got) TH_LOG("the #DE handler did not run (0x%x)", got);

	/* 3: #PF re-injected: the guest's handler sees error code and CR2. */
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_EXCEPTION);
	EXPECT_EQ(14, run->exception.vector);
	EXPECT_EQ(0x10000000123ULL, run->exception.cr2);
	run->exception.reinject = 1;
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0, got) TH_LOG("error code in the guest: 0x%x", got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x00000123, got) TH_LOG("CR2[31:0] in the guest: 0x%x", got);
	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x100, got) TH_LOG("CR2[63:32] in the guest: 0x%x", got);
	guest_expect_hlt(_metadata, &self->vm);
}

TEST_F(modes, exception_intercepts_refused)
{
	struct thv_exception_intercepts x = { .vectors = 1u << 13,
					      .padding = 1 };

	set_exc_intercepts(_metadata, &self->vm, 1u << 2, -EINVAL);	/* NMI */
	set_exc_intercepts(_metadata, &self->vm, 1u << 18, -EINVAL);	/* #MC */
	EXPECT_EQ(-1, ioctl(self->vm.vcpu_fd, THV_SET_EXCEPTION_INTERCEPTS, &x));
	EXPECT_EQ(EINVAL, errno);
	set_exc_intercepts(_metadata, &self->vm, 0, 0);
}

/* ------------------------------------------------------------------ */
/* The long-mode entry refuses tables that do not fit.                 */

TEST_F(modes, long64_tables_must_fit)
{
	int ret;

	ret = thv_vcpu_set_long64(&self->vm, GUEST_CODE_GPA, GUEST_STACK_TOP,
				  MODES_MEM_SIZE - 0x1000);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("tables past the end of RAM: got %d", ret);
	ret = thv_vcpu_set_long64(&self->vm, GUEST_CODE_GPA, GUEST_STACK_TOP,
				  0x1800);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("unaligned tables: got %d", ret);
}

TEST_HARNESS_MAIN
