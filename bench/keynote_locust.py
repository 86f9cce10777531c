"""Locust users for bench/keynote.py: phones at a keynote break, all behind one venue address.

Each user is one signed-in attendee (cookie and CSRF token made by keynote.py, in KEYNOTE_DATA)
starting a task at a fixed rate (constant_throughput), so arrivals do not slow down when the server
does. The mix: a scan (the card, then the save with a note) 60, a badge open 20, the contacts list
15, an offline-sync batch of SYNC_BATCH queued scans 5.
"""
from __future__ import annotations

import json
import os
import random
import uuid

from locust import FastHttpUser, constant_throughput, task

DATA = json.loads(open(os.environ["KEYNOTE_DATA"]).read())
PER_USER = float(os.environ.get("KEYNOTE_TASKS_PER_USER", "0.5"))
SYNC_BATCH = 5
NOTES = ["Talked scheduling over coffee.", "Promised to send the master schedule template.",
         "Voxer group for early-career principals?", "Great ideas on family engagement nights."]


class Phone(FastHttpUser):
    wait_time = constant_throughput(PER_USER)

    def on_start(self):
        me = random.choice(DATA["sessions"])
        self.me, self.base = me, DATA["public_base"]
        self.headers = {"Cookie": f"{DATA['cookie_name']}={me['cookie']}", "Accept-Encoding": "gzip"}

    def other(self) -> str:
        code = random.choice(DATA["codes"])
        return code if code != self.me["code"] else random.choice(DATA["codes"])

    @task(60)
    def scan(self):
        code = self.other()
        self.client.get(f"/c/{code}", headers=self.headers, name="scan: GET /c/<code>")
        self.client.post(f"/c/{code}/save", name="scan: POST /c/<code>/save", data={
            "csrf_token": self.me["token"], "note": random.choice(NOTES), "tags": "keynote"},
            headers={**self.headers, "HX-Request": "true", "HX-Current-URL": f"{self.base}/c/{code}"})

    @task(20)
    def badge(self):
        self.client.get("/me/badge", headers=self.headers, name="GET /me/badge")

    @task(15)
    def contacts(self):
        self.client.get("/me/contacts", headers=self.headers, name="GET /me/contacts")

    @task(5)
    def sync(self):
        scans = [{"uuid": str(uuid.uuid4()), "text": f"{self.base}/c/{self.other()}", "note": random.choice(NOTES)}
                 for _ in range(SYNC_BATCH)]
        self.client.post("/scan/sync", data=json.dumps({"scans": scans}), name="POST /scan/sync",
                         headers={**self.headers, "Content-Type": "application/json",
                                  "X-CSRFToken": self.me["token"]})
