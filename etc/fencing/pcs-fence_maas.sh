#!/bin/sh
# stonith:fence_maas with pcs (same parameters as crm-fence_maas.crm).
pcs property set stonith-enabled=true stonith-timeout=150s
pcs stonith create st-maas fence_maas \
    url="https://maas.example.com:5240/MAAS" \
    api_key_file=/etc/masakari-ha/maas.key \
    hostnames="compute1 compute2 compute3" \
    pcmk_host_list="compute1 compute2 compute3" pcmk_host_check=static-list \
    power_timeout=90 poll_interval=3 request_timeout=65 \
    pcmk_reboot_timeout=240s pcmk_off_timeout=150s \
    op monitor interval=60s timeout=90s
