"""nbgrader settings for the course's exercises (used by tools/exercises.py; no JupyterHub needed).

tools/exercises.py copies this file and source/ into a scratch course folder and runs nbgrader
there, so nothing nbgrader writes (gradebook.db, release/, autograded/) lands in the repository.
"""
c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "nnlab"

# What students see where a solution was.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Autograding: a per-cell timeout (an infinite loop is interrupted and the rest still runs),
# deleted test cells are put back from the gradebook, long outputs are cut.
c.Execute.timeout = 10
c.Execute.interrupt_on_timeout = True
c.OverwriteCells.add_missing_cells = True
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60
