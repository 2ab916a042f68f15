// SPDX-License-Identifier: GPL-2.0
/*
 * userlib_test.c - libthv's pieces for the stepper and --trace, without
 * /dev/thv: the software page walker (user/lib/thv_paging.c) on page
 * tables built by hand in a buffer, the CPU mode and the disassembler
 * (thv_disas.c), and the JSON string writer (thv_json.c).
 *
 * The page tables follow SDM Vol. 3A chapter 4: every test writes the
 * entries a CPU would read, and checks the address it would get.
 */
#include "kselftest_harness.h"
#include "test_util.h"

#define FAKE_MEM	(4UL << 20)	/* 4 MiB of "guest RAM" */

static uint8_t fake_mem[FAKE_MEM];

static int fake_read(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	(void)opaque;
	if (gpa >= FAKE_MEM || len > FAKE_MEM - gpa)
		return -EFAULT;
	memcpy(buf, fake_mem + gpa, len);
	return 0;
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(fake_mem + gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(fake_mem + gpa, &v, 4);
}

#define P	0x1ULL		/* present */
#define RW	0x2ULL
#define US	0x4ULL
#define PS	0x80ULL
#define NX	(1ULL << 63)

#define CR0_PE_PG	0x80000001ULL
#define CR4_PSE		0x10ULL
#define CR4_PAE		0x20ULL
#define CR4_LA57	0x1000ULL
#define EFER_LME_LMA	0x500ULL

/* Index of la at the level whose lowest index bit is shift (9 bits). */
static uint64_t idx9(uint64_t la, unsigned int shift)
{
	return (la >> shift) & 0x1ff;
}

/*
 * 4-level paging: PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000
 * -> 4K page 0x9000.  The same PD maps a 2 MiB page at 0x200000 and the
 * PDPT a 1 GiB page at 0 (beyond our buffer: only the address counts).
 */
TEST(walk_4level)
{
	uint64_t la = 0x00007f1234567123ULL, la2m, la1g;
	struct thv_walk w;
	char err[160];
	int ret;

	memset(fake_mem, 0, FAKE_MEM);
	put64(0x1000 + 8 * idx9(la, 39), 0x2000 | P | RW);
	put64(0x2000 + 8 * idx9(la, 30), 0x3000 | P | RW | US);
	put64(0x3000 + 8 * idx9(la, 21), 0x4000 | P | RW | US);
	put64(0x4000 + 8 * idx9(la, 12), 0x9000 | P | US | NX);

	ret = thv_walk(CR0_PE_PG, 0x1000, CR4_PAE, EFER_LME_LMA, la,
		       fake_read, NULL, &w, err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("walk failed: %s", err);
	EXPECT_EQ(THV_PAGING_4LEVEL, w.mode);
	EXPECT_EQ(0x9123ULL, w.gpa);
	EXPECT_EQ(4096ULL, w.page_size);
	EXPECT_EQ(4U, w.levels);
	EXPECT_STREQ("PML4E", w.name[0]);
	EXPECT_STREQ("PTE", w.name[3]);
	EXPECT_EQ(0x4000 + 8 * idx9(la, 12), w.entry_gpa[3]);
	/* The PTE has no RW: the page is read-only; NX set; all US. */
	EXPECT_EQ(0, w.writable);
	EXPECT_EQ(1, w.nx);
	EXPECT_EQ(0, w.user);	/* the PML4E has no US */

	/* A 2 MiB page: PS in the PDE. */
	la2m = ((la ^ (1ULL << 23)) & ~0x1fffffULL) | 0x54321;
	put64(0x3000 + 8 * idx9(la2m, 21), 0x200000 | P | RW | PS);
	ret = thv_walk(CR0_PE_PG, 0x1000, CR4_PAE, EFER_LME_LMA, la2m,
		       fake_read, NULL, &w, err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("2M walk failed: %s", err);
	EXPECT_EQ(0x200000ULL | (la2m & 0x1fffff), w.gpa);
	EXPECT_EQ(2ULL << 20, w.page_size);
	EXPECT_EQ(3U, w.levels);

	/* A 1 GiB page: PS in the PDPTE (bits 29:0 from the address). */
	la1g = (la & ~0x7fffffffffULL) | (5ULL << 30) | 0x1234567;
	put64(0x2000 + 8 * idx9(la1g, 30), (7ULL << 30) | P | PS);
	ret = thv_walk(CR0_PE_PG, 0x1000, CR4_PAE, EFER_LME_LMA, la1g,
		       fake_read, NULL, &w, err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("1G walk failed: %s", err);
	EXPECT_EQ((7ULL << 30) | 0x1234567, w.gpa);
	EXPECT_EQ(1ULL << 30, w.page_size);

	/* Not present at the PTE: the error names the level and where. */
	put64(0x4000 + 8 * idx9(la, 12), 0x9000);
	ret = thv_walk(CR0_PE_PG, 0x1000, CR4_PAE, EFER_LME_LMA, la,
		       fake_read, NULL, &w, err, sizeof(err));
	EXPECT_EQ(-EFAULT, ret);
	EXPECT_NE(NULL, strstr(err, "PTE at gpa 0x4")) TH_LOG("err: %s", err);

	/* Non-canonical: bit 47 set, bits 63:48 clear. */
	ret = thv_walk(CR0_PE_PG, 0x1000, CR4_PAE, EFER_LME_LMA,
		       0x0000800000000000ULL, fake_read, NULL, &w, err,
		       sizeof(err));
	EXPECT_EQ(-EFAULT, ret);
	EXPECT_NE(NULL, strstr(err, "not canonical")) TH_LOG("err: %s", err);

	/* A table outside RAM. */
	ret = thv_walk(CR0_PE_PG, 0x7ff000000ULL, CR4_PAE, EFER_LME_LMA, la,
		       fake_read, NULL, &w, err, sizeof(err));
	EXPECT_EQ(-EFAULT, ret);
	EXPECT_NE(NULL, strstr(err, "outside guest RAM")) TH_LOG("err: %s",
								   err);
}

/* 5-level: a PML5 at 0x5000 in front of the same PML4. */
TEST(walk_5level)
{
	uint64_t la = 0x00ab7f1234567123ULL;	/* bits 56:48 = 0xab */
	struct thv_walk w;
	char err[160];
	int ret;

	memset(fake_mem, 0, FAKE_MEM);
	put64(0x5000 + 8 * idx9(la, 48), 0x1000 | P | RW);
	put64(0x1000 + 8 * idx9(la, 39), 0x2000 | P | RW);
	put64(0x2000 + 8 * idx9(la, 30), 0x3000 | P | RW);
	put64(0x3000 + 8 * idx9(la, 21), 0x4000 | P | RW);
	put64(0x4000 + 8 * idx9(la, 12), 0xa000 | P | RW);

	ret = thv_walk(CR0_PE_PG, 0x5000, CR4_PAE | CR4_LA57, EFER_LME_LMA,
		       la, fake_read, NULL, &w, err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("walk failed: %s", err);
	EXPECT_EQ(THV_PAGING_5LEVEL, w.mode);
	EXPECT_EQ(5U, w.levels);
	EXPECT_STREQ("PML5E", w.name[0]);
	EXPECT_EQ(0xa123ULL, w.gpa);
	EXPECT_EQ(1, w.writable);

	/* The same address is not canonical with 4 levels. */
	ret = thv_walk(CR0_PE_PG, 0x1000, CR4_PAE, EFER_LME_LMA, la,
		       fake_read, NULL, &w, err, sizeof(err));
	EXPECT_EQ(-EFAULT, ret);
}

/* PAE: a 4-entry PDPT at 0x6020 (32-byte aligned), PD, PT. */
TEST(walk_pae)
{
	uint64_t la = 0xc0401234ULL;	/* PDPT 3, PD 2, PT 1, offset 0x234 */
	struct thv_walk w;
	char err[160];
	int ret;

	memset(fake_mem, 0, FAKE_MEM);
	put64(0x6020 + 8 * 3, 0x7000 | P);
	put64(0x7000 + 8 * 2, 0x8000 | P | RW);
	put64(0x8000 + 8 * 1, 0xb000 | P | RW);
	ret = thv_walk(CR0_PE_PG, 0x6020, CR4_PAE, 0, la, fake_read, NULL,
		       &w, err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("walk failed: %s", err);
	EXPECT_EQ(THV_PAGING_PAE, w.mode);
	EXPECT_EQ(3U, w.levels);
	EXPECT_EQ(0xb234ULL, w.gpa);
	/* PDPTEs have no R/W bit: the page is writable through the rest. */
	EXPECT_EQ(1, w.writable);

	/* A 2 MiB page in the PD. */
	put64(0x7000 + 8 * 2, 0x600000 | P | PS);
	ret = thv_walk(CR0_PE_PG, 0x6020, CR4_PAE, 0, la, fake_read, NULL,
		       &w, err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("walk failed: %s", err);
	EXPECT_EQ(0x600000ULL | (la & 0x1fffff), w.gpa);
}

/* 32-bit paging: 4-byte entries, 10-bit indexes; 4 MiB pages with PSE. */
TEST(walk_32bit)
{
	uint64_t la = 0x80403abcULL;	/* PD 0x201, PT 0x003 */
	struct thv_walk w;
	char err[160];
	int ret;

	memset(fake_mem, 0, FAKE_MEM);
	put32(0xa000 + 4 * 0x201, 0xb000 | P | RW);
	put32(0xb000 + 4 * 0x003, 0xc000 | P);
	ret = thv_walk(CR0_PE_PG, 0xa000, 0, 0, la, fake_read, NULL, &w,
		       err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("walk failed: %s", err);
	EXPECT_EQ(THV_PAGING_32, w.mode);
	EXPECT_EQ(2U, w.levels);
	EXPECT_EQ(0xcabcULL, w.gpa);
	EXPECT_EQ(0, w.writable);

	/* PS with CR4.PSE: a 4 MiB page at 0x00c00000. */
	put32(0xa000 + 4 * 0x201, 0x00c00000 | P | PS);
	ret = thv_walk(CR0_PE_PG, 0xa000, CR4_PSE, 0, la, fake_read, NULL,
		       &w, err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("walk failed: %s", err);
	EXPECT_EQ(0x00c00000ULL | (la & 0x3fffff), w.gpa);
	EXPECT_EQ(4ULL << 20, w.page_size);

	/* PSE-36: PDE bits 20:13 are physical address bits 39:32. */
	put32(0xa000 + 4 * 0x201, 0x00c00000 | (0x3 << 13) | P | PS);
	ret = thv_walk(CR0_PE_PG, 0xa000, CR4_PSE, 0, la, fake_read, NULL,
		       &w, err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("walk failed: %s", err);
	EXPECT_EQ(0x300c00000ULL | (la & 0x3fffff), w.gpa);

	/* Without CR4.PSE the PS bit is ignored: the PDE is a table. */
	put32(0xa000 + 4 * 0x201, 0xb000 | P | PS);
	ret = thv_walk(CR0_PE_PG, 0xa000, 0, 0, la, fake_read, NULL, &w,
		       err, sizeof(err));
	EXPECT_EQ(2U, w.levels);

	/* Paging off: linear = physical, 32 bits. */
	ret = thv_walk(1, 0, 0, 0, 0x100001234ULL, fake_read, NULL, &w, err,
		       sizeof(err));
	EXPECT_EQ(0, ret);
	EXPECT_EQ(THV_PAGING_OFF, w.mode);
	EXPECT_EQ(0x1234ULL, w.gpa);
}

/* thv_read_linear: two linear pages that map to distant physical ones. */
TEST(read_linear_across_pages)
{
	struct thv_sregs s = {
		.cr0 = CR0_PE_PG, .cr3 = 0x1000, .cr4 = CR4_PAE,
		.efer = EFER_LME_LMA,
	};
	uint64_t la = 0x400ffcULL;	/* 4 bytes before a page end */
	char err[160], buf[8];
	int ret;

	memset(fake_mem, 0, FAKE_MEM);
	put64(0x1000, 0x2000 | P);
	put64(0x2000, 0x3000 | P);
	put64(0x3000 + 8 * 2, 0x4000 | P);
	put64(0x4000 + 8 * 0, 0x20000 | P);	/* 0x400000 -> 0x20000 */
	put64(0x4000 + 8 * 1, 0x10000 | P);	/* 0x401000 -> 0x10000 */
	memcpy(fake_mem + 0x20ffc, "abcd", 4);
	memcpy(fake_mem + 0x10000, "efgh", 4);
	ret = thv_read_linear(&s, la, buf, 8, fake_read, NULL, err,
			      sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("read failed: %s", err);
	EXPECT_EQ(0, memcmp(buf, "abcdefgh", 8));

	/* The second page unmapped: an error, not half a read. */
	put64(0x4000 + 8 * 1, 0);
	ret = thv_read_linear(&s, la, buf, 8, fake_read, NULL, err,
			      sizeof(err));
	EXPECT_EQ(-EFAULT, ret);
}

/* The mode decides how bytes decode: 48 89 d8. */
TEST(cpu_mode_and_disas)
{
	static const uint8_t code[] = { 0x48, 0x89, 0xd8 };
	struct thv_sregs s;
	char text[96];

	memset(&s, 0, sizeof(s));
	EXPECT_EQ(THV_MODE_REAL, thv_cpu_mode(&s, 0));
	s.cr0 = 1;
	EXPECT_EQ(THV_MODE_PROT16, thv_cpu_mode(&s, 0));
	EXPECT_EQ(THV_MODE_VM86, thv_cpu_mode(&s, 1 << 17));
	s.cs.db = 1;
	EXPECT_EQ(THV_MODE_PROT32, thv_cpu_mode(&s, 0));
	s.efer = EFER_LME_LMA;
	EXPECT_EQ(THV_MODE_COMPAT32, thv_cpu_mode(&s, 0));
	s.cs.l = 1;
	s.cs.db = 0;
	EXPECT_EQ(THV_MODE_LONG64, thv_cpu_mode(&s, 0));
	EXPECT_STREQ("long64", thv_cpu_mode_name(THV_MODE_LONG64));
	/* CS.base counts outside 64-bit mode only. */
	s.cs.base = 0x10000;
	EXPECT_EQ(0x1234ULL, thv_code_linear(&s, 0, 0x1234));
	s.efer = 0;
	s.cs.l = 0;
	EXPECT_EQ(0x11234ULL, thv_code_linear(&s, 0, 0x1234));

	EXPECT_EQ(3, thv_disas(code, 3, 0x1000, 64, text, sizeof(text)));
	EXPECT_STREQ("mov rax, rbx", text);
	EXPECT_EQ(1, thv_disas(code, 3, 0x1000, 32, text, sizeof(text)));
	EXPECT_STREQ("dec eax", text);
	EXPECT_GT(0, thv_disas(code, 0, 0x1000, 32, text, sizeof(text)));
	EXPECT_STREQ("(bad)", text);
}

TEST(json_string_escaping)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_NE(NULL, f);
	thv_json_str(f, "a\"b\\c\nd\te\x01\x1f" "f/\xc3\xa9");
	fclose(f);
	EXPECT_STREQ("\"a\\\"b\\\\c\\nd\\te\\u0001\\u001ff/\xc3\xa9\"", buf);
	free(buf);
}

/* Names the stepper's break filter and the trace use. */
TEST(exit_and_kind_names)
{
	EXPECT_STREQ("DEBUG", thv_exit_name(THV_EXIT_DEBUG));
	EXPECT_STREQ("KERNEL", thv_exit_name(THV_EXIT_KERNEL));
	EXPECT_STREQ("UNKNOWN", thv_exit_name(THV_EXIT_MAX));
	EXPECT_STREQ("CPUID", thv_kind_name(THV_KIND_CPUID));
	EXPECT_STREQ("NPF", thv_kind_name(THV_KIND_NPF));
	EXPECT_STREQ("STEP", thv_kind_name(THV_KIND_STEP));
	EXPECT_STREQ("UNKNOWN", thv_kind_name(THV_KIND_NR));
}

TEST_HARNESS_MAIN
