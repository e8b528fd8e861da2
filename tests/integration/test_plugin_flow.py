"""The plug-in flow of the acceptance criteria, in JSON and in XML (rules 1, 2, 3, 5)."""

from __future__ import annotations

from tests.support.api import Api


def test_a_plugin_runs_a_job_with_steps_and_sub_steps_to_the_end(api: Api) -> None:
    # Given a job added by a plug-in
    added = api.add_job("Back up VM db01")
    assert added.status == 201
    job = added.data
    job_id = job["id"]
    assert job["status"] == "started"
    assert job["href"] == f"/api/jobs/{job_id}"
    assert added.header("Location") == f"https://xtasks.example.com/api/jobs/{job_id}"

    # When it adds three steps and a sub-step under the first
    steps = [api.add_step(job_id, f"Copy disk {n}", "executing") for n in (1, 2, 3)]
    assert [s.status for s in steps] == [201, 201, 201]
    assert [s.data["number"] for s in steps] == [0, 1, 2]
    first = steps[0].data["id"]
    sub = api.add_step(job_id, "Verify checksum", "validating", parent=first)
    assert sub.status == 201
    assert sub.data["number"] == 0
    assert sub.data["parent_step"] == {"href": f"/api/jobs/{job_id}/steps/{first}", "id": first}
    assert sub.header("Location") == f"https://xtasks.example.com/api/jobs/{job_id}/steps/{sub.data['id']}"

    # and ends the sub-step, then the job
    assert api.end_step(job_id, sub.data["id"], succeeded=True).status == 200
    ended = api.end_job(job_id, succeeded=True)
    assert ended.status == 200
    assert ended.data["status"] == "complete"

    # Then the job is finished and every step terminal, with end times, all addressed under /api/
    read = api.get_job(job_id, query=[("follow", "steps")])
    assert read.status == 200
    job = read.data
    assert job["status"] == "finished"
    assert job["end_time"] >= job["start_time"]
    listed = job["steps"]["step"]
    assert len(listed) == 4
    for step in listed:
        assert step["status"] == "finished"
        assert step["end_time"] >= step["start_time"]
        assert step["href"].startswith(f"/api/jobs/{job_id}/steps/")
        assert step["job"]["href"] == f"/api/jobs/{job_id}"
    hrefs = [link["href"] for link in job["actions"]["link"]] + [link["href"] for link in job["link"]]
    assert all(href.startswith("/api/") for href in hrefs)
    # tree order: the first step, its sub-step, then the other two
    assert [s["description"] for s in listed] == [
        "Copy disk 1",
        "Verify checksum",
        "Copy disk 2",
        "Copy disk 3",
    ]
