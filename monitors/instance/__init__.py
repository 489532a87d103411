"""The libvirt instance monitor: domain events → VM notifications, with resync after a lost
connection to libvirtd."""
