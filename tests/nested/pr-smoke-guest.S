/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code of pr-smoke.  It is copied into guest memory and runs there
 * little-endian, 64-bit, supervisor state.  Position independent.
 *
 * Stages: write every page, read every page back, write every page again;
 * the host may change the memslots between them.
 *
 * In:	r3 = EA of the first data page	r4 = number of pages
 *	r5 = page stride		r6 = EA of the MMIO window
 *	r7 = pattern seed		r8 = MSR to switch to (0: stay)
 *	r9 = EA to continue at after the switch (guest_virt_entry)
 *	r15 = number of MMIO exits to time
 *	r16 = index of a page to write wrongly (-1: none)
 *	r17 = 1: loop forever instead of reporting
 *
 * MMIO window (stores only; each one is an exit to the host):
 *	+0x00 stw stage (1: translation on, 2: pages written, 3: pages read)
 *	+0x08 std number of pages whose data did not read back
 *	+0x10 stw exit-timing store
 */
	.section .rodata
	.balign 4
	.globl	pr_smoke_guest, pr_smoke_guest_virt, pr_smoke_guest_end
pr_smoke_guest:
	cmpdi	%r8, 0
	beq	pr_smoke_guest_virt
	mtsrr0	%r9
	mtsrr1	%r8
	rfid
pr_smoke_guest_virt:
	li	%r10, 1
	stw	%r10, 0(%r6)
	/* write pass: each page holds its EA xor the seed */
	mr	%r11, %r3
	mtctr	%r4
	li	%r18, 0
1:	xor	%r12, %r11, %r7
	cmpd	%r18, %r16
	bne	2f
	xori	%r12, %r12, 1		/* fault injection: a wrong value */
2:	std	%r12, 0(%r11)
	add	%r11, %r11, %r5
	addi	%r18, %r18, 1
	bdnz	1b
	li	%r10, 2
	stw	%r10, 0(%r6)
	cmpdi	%r17, 0
	beq	3f
4:	b	4b			/* fault injection: a guest that hangs */
3:	/* read pass: count the pages that do not hold what we wrote */
	mr	%r11, %r3
	mtctr	%r4
	li	%r14, 0
5:	ld	%r12, 0(%r11)
	xor	%r13, %r11, %r7
	cmpd	%r12, %r13
	beq	6f
	addi	%r14, %r14, 1
6:	add	%r11, %r11, %r5
	bdnz	5b
	li	%r10, 3
	stw	%r10, 0(%r6)
	/* second write pass: each page holds NOT(EA xor seed) */
	mr	%r11, %r3
	mtctr	%r4
10:	xor	%r12, %r11, %r7
	not	%r12, %r12
	std	%r12, 0(%r11)
	add	%r11, %r11, %r5
	bdnz	10b
	/* exit timing */
	cmpdi	%r15, 0
	beq	8f
	mtctr	%r15
7:	stw	%r15, 0x10(%r6)
	bdnz	7b
8:	std	%r14, 8(%r6)
9:	b	9b
pr_smoke_guest_end:
