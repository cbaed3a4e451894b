/*
 * The x86 KVM probe payload (a boot sector), embedded as hex in kvm-probe.ts.
 * Real mode -> identity-mapped long mode (1 GiB of 2 MiB pages), touch 62 MiB,
 * reload CR3, print KUMO-KVM-PROBE-OK on COM1, leave through isa-debug-exit.
 * Build: as --32 -o p.o kvm-probe-x86.S && ld -m elf_i386 -Ttext 0 -e 0 --oformat binary -o p.bin p.o
 */
    .code16
start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    mov $0x3f8, %dx
    mov $'1', %al
    out %al, %dx
    mov $0x1000, %di
    mov $0x1800, %cx
    xor %ax, %ax
    rep stosw
    movl $0x2003, (0x1000)
    movl $0x3003, (0x2000)
    /* PD: 512 x 2MiB pages = 1 GiB */
    mov $0x3000, %di
    mov $0x83, %eax
    mov $512, %cx
3:  mov %eax, (%di)
    add $0x200000, %eax
    add $8, %di
    loop 3b
    mov %cr4, %eax
    or $0x20, %eax
    mov %eax, %cr4
    mov $0x1000, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or $0x100, %eax
    wrmsr
    lgdt gdtr - start + 0x7c00
    mov %cr0, %eax
    or $0x80000001, %eax
    mov %eax, %cr0
    ljmpl $0x08, $(long64 - start + 0x7c00)
    .code64
long64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x3f8, %dx
    mov $'2', %al
    out %al, %dx
    /* touch memory every 1 MiB from 2 MiB to 64 MiB */
    mov $0x200000, %rbx
4:  movq $0x1234, (%rbx)
    mov (%rbx), %rax
    add $0x100000, %rbx
    cmp $0x4000000, %rbx
    jb 4b
    mov $'3', %al
    out %al, %dx
    /* rewrite a page table entry and flush */
    mov %cr3, %rax
    mov %rax, %cr3
    mov $'4', %al
    out %al, %dx
    lea msg(%rip), %rsi
    mov $msglen, %rcx
1:  lodsb
    out %al, %dx
    loop 1b
    mov $0xf4, %dx
    xor %al, %al
    out %al, %dx
2:  hlt
    jmp 2b
msg: .ascii "KUMO-KVM-PROBE-OK\n"
    .set msglen, . - msg
    .p2align 3
gdt:
    .quad 0
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
gdtr:
    .word gdtr - gdt - 1
    .long gdt - start + 0x7c00
    .org 510
    .byte 0x55, 0xaa
