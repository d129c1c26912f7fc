"""The grid world's moves (bellman, value_iteration, epsilon_greedy)."""

MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))  # up, down, left, right
MOVE_NAMES = ("up", "down", "left", "right")  # the order of MOVES
