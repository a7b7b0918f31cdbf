import rospy

class Header:
    seq: int
    stamp: rospy.Time
    frame_id: str
    def __init__(self, *, seq: int = 0, stamp: rospy.Time = ..., frame_id: str = "") -> None: ...

class String:
    data: str
    def __init__(self, *, data: str = "") -> None: ...

class Bool:
    data: bool
    def __init__(self, *, data: bool = False) -> None: ...

class Empty:
    def __init__(self) -> None: ...

class ColorRGBA:
    r: float
    g: float
    b: float
    a: float
    def __init__(
        self, *, r: float = 0.0, g: float = 0.0, b: float = 0.0, a: float = 0.0
    ) -> None: ...
