{
  "format": "viommu-scenario",
  "version": 1,
  "id": "__NAME__/map-translate-invalidate",
  "title": "Map a page, translate it twice (miss, then TLB hit), clear it without invalidating (stale hit), invalidate, fault",
  "targets": [
    {
      "plugin": "__NAME__",
      "devices": [{ "name": "nic", "sid": 16 }],
      "setup": [{ "type": "__NAME__.table.set", "data": { "base": "0x100000" } }]
    }
  ],
  "steps": [
    {
      "type": "__NAME__.pte.set",
      "data": { "iova": "0x40000000", "pa": "0x1000000", "write": true }
    },
    {
      "type": "device.dma.access",
      "data": { "device": "nic", "iova": "0x40000010", "access": "r" },
      "expect": { "value": { "out": "0x0000000001000010", "hit": false } }
    },
    {
      "type": "device.dma.access",
      "data": { "device": "nic", "iova": "0x40000020", "access": "w" },
      "expect": { "value": { "out": "0x0000000001000020", "hit": true } }
    },
    { "type": "__NAME__.pte.clear", "data": { "iova": "0x40000000" } },
    {
      "type": "device.dma.access",
      "data": { "device": "nic", "iova": "0x40000010", "access": "r" },
      "expect": { "value": { "out": "0x0000000001000010", "hit": true } }
    },
    { "type": "__NAME__.tlb.invalidate", "data": {}, "expect": { "value": 1 } },
    {
      "type": "device.dma.access",
      "data": { "device": "nic", "iova": "0x40000010", "access": "r" },
      "expect": { "value": { "fault": "TRANSLATION", "code": 1 } }
    }
  ],
  "expect": { "stats": { "translations": 4, "faults": 1 } }
}
