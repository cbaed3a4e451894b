/*
 * pvh-shim.S — boots Debian's *uncompressed* kernel (vmlinux) from SYSLINUX.
 *
 * Under TCG, xz-decompressing a bzImage takes ~5 s, more than the rest of the
 * boot. SYSLINUX can only load bzImages, so scripts/build-guest-image makes one
 * whose real-mode setup code is the kernel's own and whose protected-mode part
 * is this shim (4 KiB, loaded at 1 MiB) followed by vmlinux's PT_LOAD segments
 * as one flat image (trailing zeros cut off). The kernel's setup code runs as
 * usual (e820 memory map, A20, protected mode) and jumps here with %esi =
 * boot_params. The shim:
 *   0. stops with a message on COM1 when the initramfs lies where the kernel
 *      must go (too little RAM),
 *   1. moves the flat image to the kernel's physical load address (upwards,
 *      overlapping: copied backwards) and zeroes the cut-off tail,
 *   2. builds a PVH hvm_start_info (version 1: command line, initramfs as
 *      module 0, the e820 map) from boot_params,
 *   3. jumps to the kernel's PVH entry point (ELF note XEN_ELFNOTE_PHYS32_ENTRY)
 *      with %ebx = start_info: 32-bit protected mode, paging off.
 *
 * Assembled at build time: as --32 --defsym KIMAGE_SRC=… KIMAGE_DST=…
 * KIMAGE_LEN=… KIMAGE_ZERO=… PVH_ENTRY=… ; ld -Ttext=0x100000 --oformat binary.
 * All four sizes/addresses are multiples of 4.
 */
	.code32
	.text
	.globl _start
_start:
	cli
	mov	%esi, %ebp			/* boot_params */

	/* 0. the initramfs must not lie where the kernel goes (too little RAM) */
	mov	0x218(%ebp), %eax		/* hdr.ramdisk_image */
	cmp	$(KIMAGE_DST + KIMAGE_LEN + KIMAGE_ZERO), %eax
	jae	5f
	add	0x21c(%ebp), %eax		/* + hdr.ramdisk_size */
	cmp	$KIMAGE_DST, %eax
	jbe	5f
	mov	$overlap_msg, %esi		/* say so on COM1 and stop */
	mov	$0x3f8, %dx
6:	lodsb
	test	%al, %al
	jz	7f
	outb	%al, %dx
	jmp	6b
7:	hlt
	jmp	7b
5:

	/* 1. move the kernel image up to its load address (regions overlap) */
	std
	mov	$(KIMAGE_SRC + KIMAGE_LEN - 4), %esi
	mov	$(KIMAGE_DST + KIMAGE_LEN - 4), %edi
	mov	$(KIMAGE_LEN / 4), %ecx
	rep movsl
	cld
	mov	$(KIMAGE_DST + KIMAGE_LEN), %edi
	mov	$(KIMAGE_ZERO / 4), %ecx
	xor	%eax, %eax
	rep stosl

	/* 2. hvm_start_info from boot_params */
	mov	0x228(%ebp), %eax		/* hdr.cmd_line_ptr */
	mov	%eax, start_info + 24
	mov	0x218(%ebp), %eax		/* hdr.ramdisk_image */
	mov	%eax, modlist + 0
	mov	0x21c(%ebp), %eax		/* hdr.ramdisk_size */
	mov	%eax, modlist + 8
	test	%eax, %eax
	jnz	1f
	movl	$0, start_info + 12		/* no initramfs: no module */
1:
	movzbl	0x1e8(%ebp), %ecx		/* e820_entries */
	cmp	$MEMMAP_MAX, %ecx
	jbe	2f
	mov	$MEMMAP_MAX, %ecx
2:
	mov	%ecx, start_info + 48
	lea	0x2d0(%ebp), %esi		/* e820_table: {u64 addr, u64 size, u32 type} */
	mov	$memmap, %edi			/* hvm: {u64 addr, u64 size, u32 type, u32 0} */
3:
	jecxz	4f
	movsl
	movsl
	movsl
	movsl
	movsl
	xor	%eax, %eax
	stosl
	dec	%ecx
	jmp	3b
4:
	/* 3. the kernel's PVH entry */
	mov	$start_info, %ebx
	mov	$PVH_ENTRY, %eax
	jmp	*%eax

overlap_msg:
	.asciz	"kumo pvh-shim: the initramfs overlaps the kernel's memory: give the guest more RAM\r\n"

	.set	MEMMAP_MAX, 128
	.balign	8
start_info:
	.long	0x336ec578			/* XEN_HVM_START_MAGIC_VALUE */
	.long	1				/* version: has memmap */
	.long	0				/* flags */
	.long	1				/* nr_modules */
	.long	modlist, 0			/* modlist_paddr (u64) */
	.quad	0				/* cmdline_paddr (filled in) */
	.quad	0				/* rsdp_paddr: the kernel scans for it */
	.long	memmap, 0			/* memmap_paddr (u64) */
	.long	0				/* memmap_entries (filled in) */
	.long	0
modlist:
	.quad	0, 0, 0, 0			/* paddr, size, cmdline_paddr, reserved */
memmap:
	.fill	MEMMAP_MAX * 24, 1, 0
	.balign	4096, 0				/* the flat kernel image follows */
