#!/bin/sh
# stonith:external/maas with pcs (same parameters as crm-external-maas.crm).
pcs property set stonith-enabled=true stonith-timeout=150s
pcs stonith create st-maas external/maas \
    url="https://maas.example.com:5240/MAAS" \
    apikey_file=/etc/masakari-ha/maas.key \
    hostnames="compute1 compute2 compute3" \
    power_timeout=90 \
    pcmk_reboot_timeout=240s pcmk_off_timeout=150s \
    op monitor interval=25 start-delay=25 timeout=25
